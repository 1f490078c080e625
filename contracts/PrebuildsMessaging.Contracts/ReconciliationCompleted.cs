namespace PrebuildsMessaging.Contracts;

/// <summary>Event: a batch of requests was answered: one status query ran (or none, when earlier reads covered them all), and this many commands were sent.</summary>
public sealed record ReconciliationCompleted
{
    public Guid ReconciliationId { get; init; }

    /// <summary>The scope; empty means every organization.</summary>
    public IReadOnlyList<Guid> OrganizationIds { get; init; } = [];

    /// <summary>The <see cref="ReconcileRequested.RequestId"/>s this reconciliation answered (a batch answers several).</summary>
    public IReadOnlyList<Guid> RequestIds { get; init; } = [];

    /// <summary>
    /// The requests among <see cref="RequestIds"/> that an earlier status read already answered (they were made
    /// before it started), so they needed no query of their own. When every request was covered, no query ran:
    /// <see cref="OrganizationsChecked"/> and <see cref="CommandsSent"/> are 0.
    /// </summary>
    public IReadOnlyList<Guid> CoveredRequestIds { get; init; } = [];

    /// <summary>
    /// Coder's administrators have paused prebuilds reconciliation (<c>coder prebuilds pause</c>): the status query
    /// ran, but no command was sent. The reconciliation that follows the resume does the work.
    /// </summary>
    public bool PausedByCoder { get; init; }

    public int OrganizationsChecked { get; init; }
    public int CommandsSent { get; init; }
    public TimeSpan Duration { get; init; }
}
