namespace PrebuildsMessaging.Contracts;

/// <summary>Event: one status query ran, and this many commands were sent.</summary>
public sealed record ReconciliationCompleted
{
    public Guid ReconciliationId { get; init; }

    /// <summary>The scope; empty means every organization.</summary>
    public IReadOnlyList<Guid> OrganizationIds { get; init; } = [];

    /// <summary>The <see cref="ReconcileRequested.RequestId"/>s this reconciliation answered (a batch answers several).</summary>
    public IReadOnlyList<Guid> RequestIds { get; init; } = [];

    public int OrganizationsChecked { get; init; }
    public int CommandsSent { get; init; }
    public TimeSpan Duration { get; init; }
}
