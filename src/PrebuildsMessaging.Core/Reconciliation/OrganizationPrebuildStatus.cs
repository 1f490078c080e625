namespace PrebuildsMessaging.Reconciliation;

/// <summary>One row of the status query: what one organization with prebuild presets has and lacks.</summary>
public sealed record OrganizationPrebuildStatus(
    Guid OrganizationId,
    string OrganizationName,
    bool HasPrebuildUser,
    Guid? PrebuildsGroupId,
    bool HasPrebuildUserInGroup)
{
    /// <summary>True when the membership, the group and the group membership all exist.</summary>
    public bool IsConverged => HasPrebuildUser && PrebuildsGroupId is not null && HasPrebuildUserInGroup;
}
