using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Core.Reconciliation;

/// <summary>
/// Coalescing by coverage. Remembers when the last successful status read of each organization, and of all of
/// them, started. A change-driven request made before such a read started (by more than the clock-skew margin)
/// is already answered by it: that read saw the change. Manual and scheduled requests always run. Kept in memory
/// per worker; a worker that does not know of a read simply runs the query.
/// </summary>
public sealed class ReconciliationCoverage
{
    private readonly Lock gate = new();
    private readonly Dictionary<Guid, DateTimeOffset> organizations = [];
    private DateTimeOffset? all;

    /// <summary>
    /// Manual, start-up, scheduled and resumed requests are never answered by an earlier read; nor is a change feed's request
    /// of every organization (its snapshot): it must read after the slot's consistent point, whatever the clocks of
    /// the replicas say.
    /// </summary>
    public static bool MayBeCovered(ReconcileRequested request) =>
        request is not null
        && request.Source is not (ReconcileSources.Manual or ReconcileSources.Startup or ReconcileSources.Schedule or ReconcileSources.Resumed)
        && !(request.Source == ReconcileSources.ChangeFeed && request.OrganizationIds.Count == 0);

    /// <summary>True when a remembered read covers the request's scope.</summary>
    public bool Covers(ReconcileRequested request, TimeSpan clockSkew)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!MayBeCovered(request))
        {
            return false;
        }

        var scope = ReconciliationScope.Of(request.OrganizationIds);
        var deadline = request.RequestedAt + clockSkew; // a read must have started after this
        lock (gate)
        {
            if (all > deadline)
            {
                return true;
            }

            return !scope.IsAll && scope.OrganizationIds!.All(id => organizations.TryGetValue(id, out var read) && read > deadline);
        }
    }

    /// <summary>A status read of this scope that started at this time succeeded (record it only once its commands have left).</summary>
    public void Record(ReconciliationScope scope, DateTimeOffset readStartedAt)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            if (scope.IsAll)
            {
                if (all is null || readStartedAt > all)
                {
                    all = readStartedAt;
                    // Reads of single organizations that started before it say nothing more.
                    foreach (var (id, read) in organizations.ToList())
                    {
                        if (read <= readStartedAt)
                        {
                            organizations.Remove(id);
                        }
                    }
                }

                return;
            }

            foreach (var id in scope.OrganizationIds!)
            {
                if (!organizations.TryGetValue(id, out var read) || readStartedAt > read)
                {
                    organizations[id] = readStartedAt;
                }
            }
        }
    }
}
