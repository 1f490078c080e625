namespace PrebuildsMessaging.Contracts;

/// <summary>Event: reconcile the prebuilds setup of some organizations, or of all of them.</summary>
public sealed record ReconcileRequested
{
    public Guid RequestId { get; init; }

    /// <summary>The scope; empty means every organization.</summary>
    public IReadOnlyList<Guid> OrganizationIds { get; init; } = [];

    /// <summary>One of <see cref="ReconcileSources"/>; unknown values are tolerated.</summary>
    public string Source { get; init; } = ReconcileSources.Manual;

    public DateTimeOffset RequestedAt { get; init; }
}
