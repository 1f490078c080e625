using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging;

/// <summary>Builds the ReconcileRequested events this service publishes.</summary>
public static class ReconcileRequests
{
    /// <summary>Every organization.</summary>
    public static ReconcileRequested All(string source, TimeProvider timeProvider) => Create([], source, timeProvider);

    /// <summary>One organization; an empty id is a message that cannot be scoped, and is refused.</summary>
    public static ReconcileRequested For(Guid organizationId, string source, TimeProvider timeProvider, string messageType)
    {
        if (organizationId == Guid.Empty)
        {
            throw new InvalidMessageException($"{messageType} has no organizationId: it cannot be scoped to an organization.");
        }

        return Create([organizationId], source, timeProvider);
    }

    /// <summary>Some organizations (at least one).</summary>
    public static ReconcileRequested For(IReadOnlyList<Guid> organizationIds, string source, TimeProvider timeProvider) =>
        organizationIds is { Count: > 0 } ? Create(organizationIds, source, timeProvider) : throw new ArgumentException("At least one organization id.", nameof(organizationIds));

    private static ReconcileRequested Create(IReadOnlyList<Guid> organizationIds, string source, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new ReconcileRequested
        {
            RequestId = NewId.NextGuid(),
            OrganizationIds = organizationIds,
            Source = source,
            RequestedAt = timeProvider.GetUtcNow(),
        };
    }
}
