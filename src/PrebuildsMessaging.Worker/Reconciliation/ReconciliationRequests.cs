using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>The <see cref="ReconcileRequested"/> events this service publishes: of every organization, or of some.</summary>
public static class ReconciliationRequests
{
    /// <summary>Every organization, requested now.</summary>
    public static ReconcileRequested All(string source, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return Create([], source, timeProvider.GetUtcNow());
    }

    /// <summary>Every organization, requested at a given time (a schedule's fire time).</summary>
    public static ReconcileRequested All(string source, DateTimeOffset requestedAt) => Create([], source, requestedAt);

    /// <summary>The organization of an event; an empty id is a message that cannot be scoped, and is refused as bad input.</summary>
    public static Guid OrganizationOf(Guid organizationId, string messageType) => organizationId != Guid.Empty
        ? organizationId
        : throw new InvalidMessageException($"{messageType} has no organizationId: it cannot be scoped to an organization.");

    /// <summary>Some organizations (at least one).</summary>
    public static ReconcileRequested For(IReadOnlyList<Guid> organizationIds, string source, TimeProvider timeProvider) =>
        organizationIds is { Count: > 0 }
            ? Create(organizationIds, source, (timeProvider ?? throw new ArgumentNullException(nameof(timeProvider))).GetUtcNow())
            : throw new ArgumentException("At least one organization id.", nameof(organizationIds));

    private static ReconcileRequested Create(IReadOnlyList<Guid> organizationIds, string source, DateTimeOffset requestedAt) => new()
    {
        RequestId = MassTransit.NewId.NextGuid(),
        OrganizationIds = organizationIds,
        Source = source,
        RequestedAt = requestedAt,
    };
}
