using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Worker.Ensure;

namespace PrebuildsMessaging.Tests.Ensure;

/// <summary>The superseded rule. No database or broker.</summary>
public sealed class SupersededCommandTests
{
    private static readonly PrebuildsOptions Prebuilds = new();

    private static readonly EnsureOrgPrebuildSetup Command = new()
    {
        OrganizationId = Guid.NewGuid(),
        OrganizationName = "acme",
        UserId = Prebuilds.UserId,
        GroupName = Prebuilds.GroupName,
        ReconciliationId = Guid.NewGuid(),
    };

    [Fact]
    public void A_command_for_the_configured_user_and_group_is_current()
    {
        Assert.False(EnsureOrgPrebuildSetupConsumer.IsSuperseded(Command, Prebuilds));
    }

    [Fact]
    public void A_command_for_another_user_or_group_is_superseded()
    {
        Assert.True(EnsureOrgPrebuildSetupConsumer.IsSuperseded(Command with { UserId = Guid.NewGuid() }, Prebuilds));
        Assert.True(EnsureOrgPrebuildSetupConsumer.IsSuperseded(Command with { GroupName = "old-group" }, Prebuilds));
        Assert.True(EnsureOrgPrebuildSetupConsumer.IsSuperseded(Command with { GroupName = Prebuilds.GroupName.ToUpperInvariant() }, Prebuilds));
    }
}
