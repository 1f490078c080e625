using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Ensure;

/// <summary>
/// Coder's administrators delete an organization in the order Coder's trigger protect_deleting_organizations demands:
/// its templates, then its groups other than Everyone and its members other than the owner, then the organization.
/// Found while building the fault soak's workload: a command read before the templates went, handled after the
/// prebuilds group went, wrote the group back, and Coder's own soft delete of the organization then failed.
/// </summary>
public sealed class OrganizationDeletionTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_command_read_before_the_templates_were_deleted_writes_nothing_and_Coder_deletes_the_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        var (organization, owner) = await CoderOrganizationAsync(db);
        await db.ReconcileOnceAsync();
        Assert.NotNull(await db.Seed.PrebuildsGroupAsync(organization));
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(organization, db.PrebuildsUserId));
        // Drift, then a read: the command says the group is missing.
        await db.ExecuteAsync("DELETE FROM groups WHERE organization_id = @organization AND name = 'coderprebuiltworkspaces'", new { organization });
        var services = db.Services();
        var stale = await db.IncompleteAsync(services);
        Assert.Single(stale);

        // The administrator empties the organization, Coder's way.
        await db.ExecuteAsync("UPDATE templates SET deleted = true, updated_at = now() WHERE organization_id = @organization", new { organization });
        await db.ExecuteAsync("DELETE FROM organization_members WHERE organization_id = @organization AND user_id <> @owner", new { organization, owner });
        // Meanwhile the stale command is handled, and a fresh read runs.
        var outcome = Assert.Single((await db.Writer(services).EnsureAsync(stale, CancellationToken.None)).Organizations);
        var fresh = await db.IncompleteAsync(services);

        Assert.Equal(EnsureOutcomes.NotNeeded, outcome.Outcome);
        Assert.Equal((false, false, false), (outcome.MembershipCreated, outcome.GroupCreated, outcome.GroupMembershipCreated));
        Assert.Empty(fresh);
        Assert.Equal(1, await db.Seed.GroupCountAsync(organization)); // Everyone alone
        // Coder's soft delete passes its trigger.
        Assert.Equal(1, await db.ExecuteAsync("UPDATE organizations SET deleted = true, updated_at = now() WHERE id = @organization", new { organization }));
    }

    /// <summary>An organization as Coder creates one (its owner as a member, its Everyone group), with a preset asking for prebuilds.</summary>
    private static async Task<(Guid Organization, Guid Owner)> CoderOrganizationAsync(TestDatabase db)
    {
        var organization = await db.Seed.OrganizationWithPrebuildsAsync();
        var owner = Guid.NewGuid();
        await db.Seed.UserAsync(owner);
        await db.Seed.MembershipAsync(organization, owner);
        await db.ExecuteAsync("INSERT INTO groups (id, name, organization_id, display_name) VALUES (@organization, 'Everyone', @organization, '')", new { organization });
        return (organization, owner);
    }
}
