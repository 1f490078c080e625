using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Messaging;

/// <summary>
/// EnsureOrgPrebuildSetup to and from the core's types, and the rules about it that need no database or broker:
/// which commands are superseded, and how an outcome is reported.
/// </summary>
public static class EnsureCommands
{
    /// <summary>The command for one organization a status read found incomplete.</summary>
    public static EnsureOrgPrebuildSetup For(OrganizationPrebuildStatus status, PrebuildsOptions prebuilds, Guid reconciliationId)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(prebuilds);
        return new EnsureOrgPrebuildSetup
        {
            OrganizationId = status.OrganizationId,
            OrganizationName = status.OrganizationName,
            UserId = prebuilds.UserId,
            GroupName = prebuilds.GroupName,
            HasPrebuildUser = status.HasPrebuildUser,
            PrebuildsGroupId = status.PrebuildsGroupId,
            HasPrebuildUserInGroup = status.HasPrebuildUserInGroup,
            ReconciliationId = reconciliationId,
        };
    }

    /// <summary>The status snapshot the command carries.</summary>
    public static OrganizationPrebuildStatus Snapshot(EnsureOrgPrebuildSetup command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new OrganizationPrebuildStatus(command.OrganizationId, command.OrganizationName, command.HasPrebuildUser,
            command.PrebuildsGroupId, command.HasPrebuildUserInGroup);
    }

    /// <summary>
    /// A command for another user or group than the one configured is an old message replayed after a
    /// configuration change: it is not written, and its organization is reconciled afresh instead.
    /// </summary>
    public static bool IsSuperseded(EnsureOrgPrebuildSetup command, PrebuildsOptions prebuilds)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(prebuilds);
        return command.UserId != prebuilds.UserId || !string.Equals(command.GroupName, prebuilds.GroupName, StringComparison.Ordinal);
    }

    /// <summary>The entry that reports a command: what its organization's ensure created, or nothing (superseded, or a duplicate in its batch).</summary>
    public static OrgPrebuildSetupEnsured Report(EnsureOrgPrebuildSetup command, string outcome, OrgSetupOutcome? written = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new OrgPrebuildSetupEnsured
        {
            OrganizationId = command.OrganizationId,
            ReconciliationId = command.ReconciliationId,
            MembershipCreated = written?.MembershipCreated ?? false,
            GroupCreated = written?.GroupCreated ?? false,
            GroupMembershipCreated = written?.GroupMembershipCreated ?? false,
            UniqueViolationsTolerated = written?.UniqueViolationsTolerated ?? 0,
            Outcome = outcome,
        };
    }

    /// <summary>The contract's name for how an ensure ended.</summary>
    public static string OutcomeName(OrgSetupResult result) => result switch
    {
        OrgSetupResult.Ensured => EnsureOutcomes.Ensured,
        OrgSetupResult.OrganizationGone => EnsureOutcomes.OrganizationGone,
        OrgSetupResult.Paused => EnsureOutcomes.Paused,
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, "An ensure ends ensured, organization-gone or paused."),
    };
}
