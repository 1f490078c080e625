using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>
/// The change feed end to end: Coder's own statements on a real PostgreSQL with wal_level = logical, the worker as a
/// process with the schedule and the start-up reconciliation off, and no other producer.
/// </summary>
public sealed class ChangeFeedTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_preset_that_asks_for_prebuilds_converges_its_organization_within_3_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0); // a template version, no preset yet
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);

        await db.ExecuteAsync(
            "INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @org",
            new { org });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged within 3 s\n{feed.Worker.Output}", Within);
    }

    [Fact]
    public async Task A_version_attached_to_its_template_after_its_presets_converges_within_3_s_of_the_attach()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org);
        // As Coder does: the version and its presets exist first, unattached; the status query cannot see them yet.
        await db.ExecuteAsync("UPDATE template_versions SET template_id = NULL WHERE organization_id = @org", new { org });
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'late', 2 FROM template_versions WHERE organization_id = @org", new { org });

        await db.ExecuteAsync("UPDATE template_versions tv SET template_id = t.id FROM templates t WHERE t.organization_id = @org AND tv.organization_id = @org", new { org });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged within 3 s of the attach\n{feed.Worker.Output}", Within);
    }

    [Fact]
    public async Task The_prebuilds_users_membership_deleted_is_restored_within_3_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await db.ReconcileOnceAsync();
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);

        await db.ExecuteAsync("DELETE FROM group_members WHERE user_id = @user", new { user = db.PrebuildsUserId });
        await db.ExecuteAsync("DELETE FROM organization_members WHERE organization_id = @org AND user_id = @user", new { org, user = db.PrebuildsUserId });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"restored within 3 s\n{feed.Worker.Output}", Within);
    }

    [Fact]
    public async Task A_deleted_prebuilds_group_is_created_again_within_3_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await db.ReconcileOnceAsync();
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);

        await db.ExecuteAsync("DELETE FROM group_members WHERE user_id = @user", new { user = db.PrebuildsUserId });
        await db.ExecuteAsync("DELETE FROM groups WHERE organization_id = @org AND name = 'coderprebuiltworkspaces'", new { org });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"the group is back within 3 s\n{feed.Worker.Output}", Within);
    }
}
