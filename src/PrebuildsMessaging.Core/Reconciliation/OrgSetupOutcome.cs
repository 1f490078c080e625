namespace PrebuildsMessaging.Reconciliation;

/// <summary>How an ensure ended.</summary>
public enum OrgSetupResult
{
    /// <summary>The membership, the group and the group membership exist now.</summary>
    Ensured,

    /// <summary>The organization was deleted before its setup could be written: nothing to do, no retry.</summary>
    OrganizationGone,

    /// <summary>Coder's administrators paused prebuilds reconciliation before the rest could be written: left for the reconciliation after the resume.</summary>
    Paused,
}

/// <summary>What one ensure created, and how many rows it found already there.</summary>
public sealed record OrgSetupOutcome(
    Guid OrganizationId,
    OrgSetupResult Result,
    bool MembershipCreated,
    bool GroupCreated,
    bool GroupMembershipCreated,
    int UniqueViolationsTolerated,
    Guid? GroupId)
{
    public int RowsCreated => (MembershipCreated ? 1 : 0) + (GroupCreated ? 1 : 0) + (GroupMembershipCreated ? 1 : 0);
}
