using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Database;

/// <summary>
/// `migrate --with-change-feed` and `--drop-change-feed` on a real PostgreSQL with wal_level = logical (test.sh
/// starts it so): the publication (and an earlier version's permanent slot dropped), and Coder's own statements on
/// every published table still working.
/// </summary>
public sealed class ChangeFeedSetupTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private const string Publication = "prebuilds_messaging_changes";

    [Fact]
    public async Task Migrate_creates_the_publication_once_and_no_slot_and_drop_removes_it_and_a_permanent_slot_of_an_earlier_version()
    {
        await using var db = await server.CreateDatabaseAsync();
        var slot = $"prebuilds_test_{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = slot };

        var created = await CliRun.ExecuteAsync(settings, "migrate", "--with-change-feed");
        var again = await CliRun.ExecuteAsync(settings, "migrate", "--with-change-feed");

        Assert.True(created.ExitCode == 0, created.StandardError);
        Assert.True(again.ExitCode == 0, again.StandardError);
        var tables = await db.ScalarAsync<string>($"SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = '{Publication}'");
        Assert.Equal("groups,organization_members,template_version_presets,template_versions", tables); // not group_members: it has no primary key
        Assert.True(await db.ScalarAsync<bool>($"SELECT pubinsert AND pubupdate AND pubdelete FROM pg_publication WHERE pubname = '{Publication}'"));
        Assert.False(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE database = current_database())")); // the workers make their own, temporary
        await db.ExecuteAsync("SELECT pg_create_logical_replication_slot(@slot, 'pgoutput')", new { slot }); // as an earlier version did

        var dropped = await CliRun.ExecuteAsync(settings, "migrate", "--drop-change-feed");

        Assert.True(dropped.ExitCode == 0, dropped.StandardError);
        Assert.False(await db.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = '{Publication}')"));
        Assert.False(await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slot)", new { slot }));

        var both = await CliRun.ExecuteAsync(settings, "migrate", "--with-change-feed", "--drop-change-feed");
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("cannot be given together", both.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Coders_own_updates_and_deletes_on_every_published_table_still_work()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await db.ReconcileOnceAsync(); // the membership, the group and the group membership exist
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = $"prebuilds_test_{Guid.NewGuid():N}" };
        Assert.Equal(0, (await CliRun.ExecuteAsync(settings, "migrate", "--with-change-feed")).ExitCode);

        // What Coder does to these tables, each statement on its own; none may fail for the publication.
        string[] statements =
        [
            "UPDATE template_version_presets SET desired_instances = 2",
            "UPDATE template_versions SET name = name || '-renamed'",
            "DELETE FROM group_members",
            "UPDATE groups SET display_name = 'renamed'",
            "DELETE FROM groups WHERE organization_id = @org AND name <> 'Everyone'",
            "DELETE FROM organization_members WHERE organization_id = @org",
            "DELETE FROM template_version_presets",
            "DELETE FROM template_versions",
        ];
        foreach (var statement in statements)
        {
            await db.ExecuteAsync(statement, new { org });
        }

        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM template_version_presets"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM group_members"));
    }
}

/// <summary>A PostgreSQL server of its own, without logical decoding (wal_level = replica, the default).</summary>
public sealed class ChangeFeedWithoutLogicalWalTests
{
    [Fact]
    public async Task Migrate_with_the_change_feed_on_a_server_without_logical_wal_names_the_setting_in_one_line()
    {
        var state = Path.Combine(Path.GetTempPath(), $"prebuilds-pg-replica-{Guid.NewGuid():N}");
        var port = LoopbackPort.Free();
        await NativePostgresAsync($"pg_native_start '{state}' {port} fast");
        try
        {
            var admin = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
            var migrate = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = admin }, "migrate", "--with-dev-schema", "--with-change-feed");

            Assert.Equal(1, migrate.ExitCode);
            var line = Assert.Single(migrate.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("Failed:", StringComparison.Ordinal));
            Assert.Contains("wal_level = logical", line, StringComparison.Ordinal);
            Assert.Contains("this server has wal_level = replica", line, StringComparison.Ordinal);

            // A worker with the feed enabled stops at start with the same line.
            var run = await CliRun.ExecuteAsync(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = admin,
                ["ChangeFeed:Enabled"] = "true",
                ["Bus:Transport"] = "InMemory", // no broker needed to reach the feed's check
                ["Schedule:Store"] = "InMemory",
                ["Health:Enabled"] = "false",
            }, "run");
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("Failed: The change feed needs PostgreSQL's wal_level = logical, and this server has wal_level = replica", run.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            await NativePostgresAsync($"pg_native_stop '{state}'");
            Directory.Delete(state, recursive: true);
        }
    }

    // Without the test server's own options (its wal_level = logical).
    private static Task NativePostgresAsync(string command) => Shell.ScriptAsync("postgres.sh", command, new Dictionary<string, string?> { ["PG_EXTRA_OPTS"] = "" });
}
