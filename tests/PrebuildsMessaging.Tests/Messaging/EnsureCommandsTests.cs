using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>The superseded rule, outcome reporting and the command's round trip to the core's snapshot. No database or broker.</summary>
public sealed class EnsureCommandsTests
{
    private static readonly PrebuildsOptions Prebuilds = new();
    private static readonly OrganizationPrebuildStatus Status = new(Guid.NewGuid(), "acme", HasPrebuildUser: true, PrebuildsGroupId: Guid.NewGuid(), HasPrebuildUserInGroup: false);

    [Fact]
    public void A_command_carries_the_snapshot_it_was_made_from_and_the_configured_user_and_group()
    {
        var reconciliation = Guid.NewGuid();

        var command = EnsureCommands.For(Status, Prebuilds, reconciliation);

        Assert.Equal(Status, EnsureCommands.Snapshot(command));
        Assert.Equal((Prebuilds.UserId, Prebuilds.GroupName, reconciliation), (command.UserId, command.GroupName, command.ReconciliationId));
        Assert.False(EnsureCommands.IsSuperseded(command, Prebuilds));
    }

    [Fact]
    public void A_command_for_another_user_or_group_is_superseded()
    {
        var command = EnsureCommands.For(Status, Prebuilds, Guid.NewGuid());

        Assert.True(EnsureCommands.IsSuperseded(command with { UserId = Guid.NewGuid() }, Prebuilds));
        Assert.True(EnsureCommands.IsSuperseded(command with { GroupName = "old-group" }, Prebuilds));
        Assert.True(EnsureCommands.IsSuperseded(command with { GroupName = Prebuilds.GroupName.ToUpperInvariant() }, Prebuilds));
    }

    [Fact]
    public void A_report_says_what_the_ensure_created_or_nothing()
    {
        var command = EnsureCommands.For(Status, Prebuilds, Guid.NewGuid());
        var written = new OrgSetupOutcome(Status.OrganizationId, OrgSetupResult.Ensured, MembershipCreated: false, GroupCreated: false, GroupMembershipCreated: true, UniqueViolationsTolerated: 2, Status.PrebuildsGroupId);

        var report = EnsureCommands.Report(command, EnsureCommands.OutcomeName(written.Result), written);
        var nothing = EnsureCommands.Report(command, EnsureOutcomes.Superseded);

        Assert.Equal((Status.OrganizationId, command.ReconciliationId, "ensured", false, false, true, 2),
            (report.OrganizationId, report.ReconciliationId, report.Outcome, report.MembershipCreated, report.GroupCreated, report.GroupMembershipCreated, report.UniqueViolationsTolerated));
        Assert.Equal(("superseded", false, false, false, 0),
            (nothing.Outcome, nothing.MembershipCreated, nothing.GroupCreated, nothing.GroupMembershipCreated, nothing.UniqueViolationsTolerated));
    }

    [Fact]
    public void Outcomes_have_the_contracts_names()
    {
        Assert.Equal("ensured", EnsureCommands.OutcomeName(OrgSetupResult.Ensured));
        Assert.Equal("organization-gone", EnsureCommands.OutcomeName(OrgSetupResult.OrganizationGone));
        Assert.Throws<ArgumentOutOfRangeException>(() => EnsureCommands.OutcomeName((OrgSetupResult)42));
    }
}
