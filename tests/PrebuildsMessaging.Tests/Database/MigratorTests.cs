using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Database;

public sealed class MigratorTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task By_default_only_the_service_schema_is_applied_and_a_second_run_changes_nothing()
    {
        await using var db = await server.CreateDatabaseAsync(fromTemplate: false);
        var migrator = db.Services().GetRequiredService<DatabaseMigrator>();

        await migrator.MigrateAsync(new MigrationRequest(), CancellationToken.None);
        await migrator.MigrateAsync(new MigrationRequest(), CancellationToken.None);

        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pg_namespace WHERE nspname = 'prebuilds_messaging'"));
        Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM prebuilds_messaging.schema_versions"));
        Assert.False(await db.ScalarAsync<bool>("SELECT to_regclass('public.organizations') IS NOT NULL"));
        foreach (var table in new[] { "qrtz_job_details", "qrtz_triggers", "qrtz_locks", "qrtz_scheduler_state", "qrtz_fired_triggers" })
        {
            Assert.True(await db.ScalarAsync<bool>("SELECT to_regclass('prebuilds_messaging.' || @table) IS NOT NULL", new { table }), table);
        }
    }

    [Fact]
    public async Task Migrate_points_a_schedule_job_stored_by_an_older_version_at_the_jobs_class()
    {
        await using var db = await server.CreateDatabaseAsync();
        await db.ExecuteAsync("""
            INSERT INTO prebuilds_messaging.qrtz_job_details (sched_name, job_name, job_group, job_class_name, is_durable, is_nonconcurrent, is_update_data, requests_recovery)
            VALUES ('prebuilds-messaging', 'reconcile-all', 'prebuilds-messaging', 'PrebuildsMessaging.Scheduling.ReconcileScheduleJob, PrebuildsMessaging.Worker', true, true, false, false)
            """);

        await db.Services().GetRequiredService<DatabaseMigrator>().MigrateAsync(new MigrationRequest(), CancellationToken.None);

        Assert.Equal("PrebuildsMessaging.Worker.Schedule.ReconciliationScheduleJob, PrebuildsMessaging.Worker",
            await db.ScalarAsync<string>("SELECT job_class_name FROM prebuilds_messaging.qrtz_job_details WHERE job_name = 'reconcile-all'"));
        Assert.NotNull(Type.GetType(await db.ScalarAsync<string>("SELECT job_class_name FROM prebuilds_messaging.qrtz_job_details WHERE job_name = 'reconcile-all'")));
    }

    [Fact]
    public async Task The_dev_schema_creates_coders_tables_and_the_prebuilds_user_once()
    {
        await using var db = await server.CreateDatabaseAsync(fromTemplate: false);
        var migrator = db.Services().GetRequiredService<DatabaseMigrator>();

        await migrator.MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);
        await migrator.MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);

        Assert.Equal(1, await db.ScalarAsync<long>(
            "SELECT count(*) FROM users WHERE id = 'c42fdf75-3097-471c-8c33-fb52454d81c0' AND username = 'prebuilds' AND is_system"));
        foreach (var constraint in new[] { "organization_members_pkey", "groups_name_organization_id_key", "group_members_user_id_group_id_key" })
        {
            Assert.Equal(1, await db.ScalarAsync<long>("SELECT count(*) FROM pg_constraint WHERE conname = @constraint", new { constraint }));
        }
    }

    [Fact]
    public async Task Replicas_migrating_at_once_take_turns()
    {
        await using var db = await server.CreateDatabaseAsync(fromTemplate: false);
        var migrators = Enumerable.Range(0, 4).Select(_ => db.Services().GetRequiredService<DatabaseMigrator>()).ToList();

        await Task.WhenAll(migrators.Select(m => m.MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None)));

        Assert.Equal(4, await db.ScalarAsync<long>("SELECT count(*) FROM prebuilds_messaging.schema_versions")); // three of Coder's development schema, one of ours
    }

    [Fact]
    public async Task The_recommended_index_is_opt_in_partial_and_idempotent()
    {
        await using var db = await server.CreateDatabaseAsync();
        var migrator = db.Services().GetRequiredService<DatabaseMigrator>();
        const string indexDefinition = "SELECT indexdef FROM pg_indexes WHERE indexname = 'prebuilds_messaging_presets_prebuilds_idx'";

        await migrator.MigrateAsync(new MigrationRequest(), CancellationToken.None);
        Assert.False(await db.ScalarAsync<bool>("SELECT to_regclass('prebuilds_messaging_presets_prebuilds_idx') IS NOT NULL"));

        await migrator.MigrateAsync(new MigrationRequest(WithRecommendedIndex: true), CancellationToken.None);
        await migrator.MigrateAsync(new MigrationRequest(WithRecommendedIndex: true), CancellationToken.None);

        var definition = await db.ScalarAsync<string>(indexDefinition);
        Assert.Contains("(template_version_id)", definition, StringComparison.Ordinal);
        Assert.Contains("WHERE (desired_instances IS NOT NULL)", definition, StringComparison.Ordinal);
        Assert.True(await db.ScalarAsync<bool>(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'prebuilds_messaging_presets_prebuilds_idx'"));
    }

    [Fact]
    public async Task An_invalid_leftover_index_is_rebuilt()
    {
        await using var db = await server.CreateDatabaseAsync();
        var migrator = db.Services().GetRequiredService<DatabaseMigrator>();
        await migrator.MigrateAsync(new MigrationRequest(WithRecommendedIndex: true), CancellationToken.None);
        // What a failed CREATE INDEX CONCURRENTLY leaves behind.
        await db.ScalarAsync<int>(
            "WITH u AS (UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'prebuilds_messaging_presets_prebuilds_idx'::regclass RETURNING 1) SELECT count(*) FROM u");

        await migrator.MigrateAsync(new MigrationRequest(WithRecommendedIndex: true), CancellationToken.None);

        Assert.True(await db.ScalarAsync<bool>(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'prebuilds_messaging_presets_prebuilds_idx'"));
    }
}
