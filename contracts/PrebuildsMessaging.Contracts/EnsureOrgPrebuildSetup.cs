namespace PrebuildsMessaging.Contracts;

/// <summary>
/// Command: write what the status snapshot says one organization misses. Idempotent: a duplicate,
/// redelivered or replayed command only finds its rows already there.
/// </summary>
public sealed record EnsureOrgPrebuildSetup
{
    public Guid OrganizationId { get; init; }
    public string OrganizationName { get; init; } = "";
    public Guid UserId { get; init; }
    public string GroupName { get; init; } = "";
    public bool HasPrebuildUser { get; init; }
    public Guid? PrebuildsGroupId { get; init; }
    public bool HasPrebuildUserInGroup { get; init; }
    public Guid ReconciliationId { get; init; }
}
