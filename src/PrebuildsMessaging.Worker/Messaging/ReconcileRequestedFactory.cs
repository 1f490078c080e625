using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging;

/// <summary>Builds the ReconcileRequested events this service publishes.</summary>
public static class ReconcileRequestedFactory
{
    /// <summary>Every organization.</summary>
    public static ReconcileRequested All(string source, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return Create([], source, timeProvider.GetUtcNow());
    }

    /// <summary>Every organization, requested at a given time (a schedule's fire time).</summary>
    public static ReconcileRequested All(string source, DateTimeOffset requestedAt) => Create([], source, requestedAt);

    /// <summary>One organization; an empty id is a message that cannot be scoped, and is refused.</summary>
    public static ReconcileRequested For(Guid organizationId, string source, TimeProvider timeProvider, string messageType)
    {
        if (organizationId == Guid.Empty)
        {
            throw new InvalidMessageException($"{messageType} has no organizationId: it cannot be scoped to an organization.");
        }

        ArgumentNullException.ThrowIfNull(timeProvider);
        return Create([organizationId], source, timeProvider.GetUtcNow());
    }

    /// <summary>Some organizations (at least one).</summary>
    public static ReconcileRequested For(IReadOnlyList<Guid> organizationIds, string source, TimeProvider timeProvider) =>
        organizationIds is { Count: > 0 }
            ? Create(organizationIds, source, (timeProvider ?? throw new ArgumentNullException(nameof(timeProvider))).GetUtcNow())
            : throw new ArgumentException("At least one organization id.", nameof(organizationIds));

    private static ReconcileRequested Create(IReadOnlyList<Guid> organizationIds, string source, DateTimeOffset requestedAt) => new()
    {
        RequestId = NewId.NextGuid(),
        OrganizationIds = organizationIds,
        Source = source,
        RequestedAt = requestedAt,
    };
}
