using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>
/// Step 1 of the flow, continued: the ReconcileRequested that change events ask for. One publish is in flight at a
/// time; the events that arrive meanwhile share the next one, one request per source for all their organizations,
/// which leaves once no event has arrived for <see cref="QuietPeriod"/>, or <see cref="LongestWait"/> after the first
/// of them; an event that comes within the quiet period after a publish waits the same way. A lone event is published at once, and a burst of events becomes a handful of requests, so a handful of
/// status reads, not one each. (The change feed's requests do not pass here: their latency is the one measured.) Each
/// event's consume ends when the request that carries its organization is confirmed by the broker, or fails with
/// that publish, and is then retried.
/// </summary>
public sealed class ChangeEventRequests
{
    /// <summary>Organizations per request at most, so that a request stays a small message.</summary>
    public const int OrganizationLimit = 1000;

    /// <summary>Under load, the next request leaves once no event has arrived for this long...</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(200);

    /// <summary>...or this long after the first event that waits for it.</summary>
    public static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(1);

    private readonly Func<ReconcileRequested, CancellationToken, Task> publish;
    private readonly TimeProvider timeProvider;
    private readonly Lock gate = new();
    private readonly List<Pending> waiting = [];
    private bool publishing;
    private long firstWaitingAt;
    private long lastArrivalAt;
    private long? lastPublishEndedAt; // within a quiet period after a publish, the next one waits too

    public ChangeEventRequests(IBus bus, TimeProvider timeProvider)
        : this((request, token) => (bus ?? throw new ArgumentNullException(nameof(bus))).Publish(request, token), timeProvider)
    {
    }

    /// <summary>Requests for any publisher: the tests give one that records what it was given.</summary>
    internal ChangeEventRequests(Func<ReconcileRequested, CancellationToken, Task> publish, TimeProvider timeProvider)
    {
        this.publish = publish;
        this.timeProvider = timeProvider;
    }

    /// <summary>Requests a reconciliation of the organization and completes when the request carrying it is published.</summary>
    public Task RequestAsync(Guid organizationId, string source, CancellationToken cancellationToken)
    {
        Pending pending;
        var start = false;
        var underLoad = false;
        lock (gate)
        {
            if (waiting.Count == 0)
            {
                firstWaitingAt = timeProvider.GetTimestamp();
            }

            lastArrivalAt = timeProvider.GetTimestamp();
            pending = waiting.LastOrDefault(p => p.Source == source && p.Organizations.Count < OrganizationLimit) ?? Add(source);
            pending.Organizations.Add(organizationId);
            if (!publishing)
            {
                publishing = true;
                start = true;
                underLoad = lastPublishEndedAt is { } ended && timeProvider.GetElapsedTime(ended) < QuietPeriod;
            }
        }

        if (start)
        {
            _ = Task.Run(() => PublishAllAsync(underLoad), CancellationToken.None);
        }

        return pending.Published.Task.WaitAsync(cancellationToken);
    }

    private Pending Add(string source)
    {
        var pending = new Pending(source);
        waiting.Add(pending);
        return pending;
    }

    /// <summary>Publishes what waits at once, then what arrived meanwhile once it is ready, until nothing waits.</summary>
    private async Task PublishAllAsync(bool underLoad)
    {
        var first = !underLoad;
        while (true)
        {
            if (!first)
            {
                await ReadyAsync().ConfigureAwait(false);
            }

            first = false;
            List<Pending> batch;
            lock (gate)
            {
                if (waiting.Count == 0)
                {
                    publishing = false;
                    return;
                }

                batch = [.. waiting];
                waiting.Clear();
            }

            await Task.WhenAll(batch.Select(PublishAsync)).ConfigureAwait(false);
            lock (gate)
            {
                lastPublishEndedAt = timeProvider.GetTimestamp();
            }
        }
    }

    /// <summary>Waits for a quiet period or the longest wait, whichever comes first (at once when nothing waits).</summary>
    private async Task ReadyAsync()
    {
        while (true)
        {
            TimeSpan wait;
            lock (gate)
            {
                if (waiting.Count == 0)
                {
                    return;
                }

                var quiet = QuietPeriod - timeProvider.GetElapsedTime(lastArrivalAt);
                var longest = LongestWait - timeProvider.GetElapsedTime(firstWaitingAt);
                wait = quiet < longest ? quiet : longest;
            }

            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(wait, timeProvider).ConfigureAwait(false);
        }
    }

    private async Task PublishAsync(Pending pending)
    {
        try
        {
            await publish(ReconciliationRequests.For([.. pending.Organizations], pending.Source, timeProvider), CancellationToken.None).ConfigureAwait(false);
            pending.Published.TrySetResult();
        }
        catch (Exception ex)
        {
            pending.Published.TrySetException(ex);
        }
    }

    /// <summary>The organizations of one source waiting for the next publish. Changed only under the lock.</summary>
    private sealed class Pending(string source)
    {
        public string Source { get; } = source;

        public HashSet<Guid> Organizations { get; } = [];

        public TaskCompletionSource Published { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
