namespace PrebuildsMessaging.Contracts;

/// <summary>What one <see cref="EnsureOrgPrebuildSetup"/> did: an entry of <see cref="OrgPrebuildSetupsEnsured"/>.</summary>
public sealed record OrgPrebuildSetupEnsured
{
    public Guid OrganizationId { get; init; }
    public Guid ReconciliationId { get; init; }
    public bool MembershipCreated { get; init; }
    public bool GroupCreated { get; init; }
    public bool GroupMembershipCreated { get; init; }
    public int UniqueViolationsTolerated { get; init; }

    /// <summary>One of <see cref="EnsureOutcomes"/>.</summary>
    public string Outcome { get; init; } = EnsureOutcomes.Ensured;
}
