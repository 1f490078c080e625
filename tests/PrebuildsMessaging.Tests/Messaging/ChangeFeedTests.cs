using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Messaging;

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
        await using var feed = await FeedAsync(db);

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
        await using var feed = await FeedAsync(db);
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
        await using var feed = await FeedAsync(db);

        await db.ExecuteAsync("DELETE FROM group_members WHERE user_id = @user", new { user = db.PrebuildsUserId });
        await db.ExecuteAsync("DELETE FROM organization_members WHERE organization_id = @org AND user_id = @user", new { org, user = db.PrebuildsUserId });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"restored within 3 s\n{feed.Worker.Output}", Within);
    }

    /// <summary>The feed set up with a slot of its own (slot names are per server), and a worker streaming from it.</summary>
    private async Task<Feed> FeedAsync(TestDatabase db)
    {
        var slot = $"prebuilds_test_{Guid.NewGuid():N}";
        var migrate = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = slot }, "migrate", "--with-change-feed");
        Assert.True(migrate.ExitCode == 0, migrate.StandardError);
        var isolated = await IsolatedBroker.CreateAsync(broker);
        var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["ChangeFeed:Enabled"] = "true",
            ["ChangeFeed:SlotName"] = slot,
        });
        await Eventually.TrueAsync(() => db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slot AND active)", new { slot }),
            () => $"the worker streams from its slot\n{worker.Output}");
        return new Feed(worker, isolated);
    }

    private sealed record Feed(WorkerProcess Worker, IsolatedBroker Broker) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Worker.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }
}
