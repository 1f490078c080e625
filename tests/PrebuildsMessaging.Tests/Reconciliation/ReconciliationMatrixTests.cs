using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Reconciliation;

/// <summary>
/// Coder's matrix (enterprise/coderd/prebuilds membership tests): {has presets} × {membership} × {group} ×
/// {group membership}, with an unrelated organization beside it in every case that must stay untouched. Run on the
/// production path: the status query the reconcile consumer runs, its commands handed to the writer the ensure
/// consumer uses.
/// </summary>
public sealed class ReconciliationMatrixTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    public static TheoryData<bool, bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool, bool>();
        foreach (var hasPresets in new[] { true, false })
        foreach (var membership in new[] { true, false })
        foreach (var group in new[] { true, false })
        foreach (var groupMembership in new[] { true, false })
        {
            if (groupMembership && !group)
            {
                continue; // a group membership needs its group (foreign key)
            }

            data.Add(hasPresets, membership, group, groupMembership);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task One_pass_completes_an_organization_with_presets_and_leaves_every_other_alone(
        bool hasPresets, bool membershipExists, bool groupExists, bool groupMembershipExists)
    {
        await using var db = await server.CreateDatabaseAsync();
        var user = db.PrebuildsUserId;
        var org = await db.Seed.OrganizationAsync();
        if (hasPresets)
        {
            await db.Seed.TemplatesAsync(org, templates: 2, versions: 2, presets: 2, desiredInstances: 1);
        }

        if (membershipExists)
        {
            await db.Seed.MembershipAsync(org, user);
        }

        Guid? existingGroup = groupExists ? await db.Seed.GroupAsync(org) : null;
        if (groupMembershipExists)
        {
            await db.Seed.GroupMemberAsync(existingGroup!.Value, user);
        }

        // The unrelated organization has templates and presets, none of which asks for prebuilds.
        var unrelated = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(unrelated, templates: 2, versions: 1, presets: 3, desiredInstances: null);

        var (tally, outcomes) = await db.ReconcileOnceAsync();

        if (hasPresets)
        {
            var missingSomething = !(membershipExists && groupExists && groupMembershipExists);
            Assert.Equal(1, tally.OrganizationsChecked);
            Assert.Equal(missingSomething ? 1 : 0, outcomes.Count);
            Assert.True(await db.Seed.HasMembershipAsync(org, user));
            Assert.Equal(1, await db.Seed.GroupCountAsync(org));
            Assert.Equal(1, await db.Seed.GroupMemberCountAsync(org, user));

            var group = await db.Seed.PrebuildsGroupAsync(org);
            Assert.NotNull(group);
            if (existingGroup is { } id)
            {
                Assert.Equal(id, group.Id);
            }
            else
            {
                Assert.Equal("Prebuilt Workspaces", group.DisplayName);
                Assert.Equal("", group.AvatarUrl);
                Assert.Equal(0, group.QuotaAllowance);
            }

            if (!membershipExists)
            {
                Assert.Equal(TestDatabase.FixedNow, await db.Seed.MembershipCreatedAtAsync(org, user));
            }

            if (missingSomething)
            {
                var outcome = Assert.Single(outcomes);
                Assert.Equal(EnsureOutcomes.Ensured, outcome.Outcome);
                Assert.Equal(org, outcome.OrganizationId);
                Assert.Equal(!membershipExists, outcome.MembershipCreated);
                Assert.Equal(!groupExists, outcome.GroupCreated);
                Assert.Equal(!groupMembershipExists, outcome.GroupMembershipCreated);
                Assert.Equal(0, outcome.UniqueViolationsTolerated);
            }
        }
        else
        {
            Assert.Equal(0, tally.OrganizationsChecked);
            Assert.Empty(outcomes);
            Assert.Equal(membershipExists, await db.Seed.HasMembershipAsync(org, user));
            Assert.Equal(groupExists ? 1 : 0, await db.Seed.GroupCountAsync(org));
            Assert.Equal(groupMembershipExists ? 1 : 0, await db.Seed.GroupMemberCountAsync(org, user));
        }

        Assert.False(await db.Seed.HasMembershipAsync(unrelated, user));
        Assert.Equal(0, await db.Seed.GroupCountAsync(unrelated));
        Assert.Equal(0, await db.Seed.GroupMemberCountAsync(unrelated, user));

        var (again, secondOutcomes) = await db.ReconcileOnceAsync();
        Assert.Equal(0, again.OrganizationsIncomplete);
        Assert.Empty(secondOutcomes);
    }
}
