using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>
/// The change feed end to end: Coder's own statements on a real PostgreSQL with wal_level = logical, the worker as a
/// process with the schedule and the start-up reconciliation off, and no other producer.
/// </summary>
public sealed class ChangeFeedTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    /// <summary>What a replica logs once its slot is made and the snapshot requested.</summary>
    private const string Streaming = "after requesting a reconciliation of every organization (snapshot)";

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

    [Fact]
    public async Task A_deleted_prebuilds_group_is_created_again_within_3_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await db.ReconcileOnceAsync();
        await using var feed = await FeedAsync(db);

        await db.ExecuteAsync("DELETE FROM group_members WHERE user_id = @user", new { user = db.PrebuildsUserId });
        await db.ExecuteAsync("DELETE FROM groups WHERE organization_id = @org AND name = 'coderprebuiltworkspaces'", new { org });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"the group is back within 3 s\n{feed.Worker.Output}", Within);
    }

    [Fact]
    public async Task A_change_made_while_the_worker_was_killed_is_handled_after_the_restart()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await FeedAsync(db);
        await feed.Worker.KillAsync(); // SIGKILL: nothing acknowledged on the way out

        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @org", new { org });
        Assert.False(await db.Seed.ConvergedAsync(org, db.PrebuildsUserId));

        await using var restarted = await WorkerProcess.StartAsync(db, feed.Broker.AmqpUri, feed.Settings);
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged after the restart\n{restarted.Output}", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_worker_killed_after_it_published_and_before_the_broker_confirmed_loses_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await FeedAsync(db);
        // The broker refuses every request to the reconcile queue: the worker publishes, and never gets a confirm.
        await feed.Broker.Management.SetPolicyAsync("refuse-requests", "^prebuilds-reconcile$", new Dictionary<string, object> { ["max-length"] = 0, ["overflow"] = "reject-publish" }, CancellationToken.None);
        await Eventually.TrueAsync(async () => (await feed.Broker.QueueAsync("prebuilds-reconcile")).TryGetProperty("effective_policy_definition", out var policy)
            && policy.ValueKind == System.Text.Json.JsonValueKind.Object && policy.TryGetProperty("overflow", out _), "the policy applies");

        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @org", new { org });
        await Eventually.TrueAsync(() => Task.FromResult(feed.Worker.Output.Contains("BasicPublishAsync failed", StringComparison.Ordinal)), () => $"the publish was refused\n{feed.Worker.Output}");
        await feed.Worker.KillAsync();
        await feed.Broker.Management.DeletePolicyAsync("refuse-requests", CancellationToken.None);

        await using var restarted = await WorkerProcess.StartAsync(db, feed.Broker.AmqpUri, feed.Settings);
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"the change is handled after the restart\n{restarted.Output}", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_transaction_of_500_presets_is_one_request_for_its_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await FeedAsync(db);
        await using var recorder = await ExchangeRecorder.StartAsync(feed.Broker.AmqpUri, "PrebuildsMessaging.Contracts:ReconcileRequested");

        await db.ExecuteAsync(
            "INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT tv.id, 'p' || n, 1 FROM template_versions tv, generate_series(1, 500) n WHERE tv.organization_id = @org",
            new { org });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged\n{feed.Worker.Output}", Within);
        // The snapshot at the start asked for every organization (no ids); the transaction asks once for its own.
        List<System.Text.Json.JsonElement> Scoped() =>
            recorder.Messages.Where(m => m.GetProperty("source").GetString() == "change-feed" && m.GetProperty("organizationIds").GetArrayLength() > 0).ToList();
        await Eventually.TrueAsync(() => Task.FromResult(Scoped().Count > 0), () => $"the transaction's request is published\n{feed.Worker.Output}", Within);
        var request = Assert.Single(Scoped());
        Assert.Equal([org], request.GetProperty("organizationIds").EnumerateArray().Select(e => e.GetGuid()));
    }

    [Fact]
    public async Task Of_two_workers_exactly_one_streams_and_when_it_is_killed_the_other_snapshots_and_streams_within_10_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await FeedAsync(db);
        await using var second = await WorkerProcess.StartAsync(db, feed.Broker.AmqpUri, feed.Settings);
        await Eventually.TrueAsync(() => Task.FromResult(second.Output.Contains("standing by", StringComparison.Ordinal)), () => $"the second worker stands by\n{second.Output}");
        Assert.Equal(feed.Worker.ProcessId, await StreamingProcessAsync(db, feed.Slot));
        // The database sees the one that streams and the one that waits for the lock; status shows both.
        var status = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = feed.Slot }, "status");
        Assert.Contains($"change feed: replica {feed.Worker.ProcessId}@", status.StandardError, StringComparison.Ordinal);
        Assert.Matches($@"replica {second.ProcessId}@\S+ standing by since", status.StandardError);
        Assert.Matches($@"replica {feed.Worker.ProcessId}@\S+ streaming since", status.StandardError);

        await feed.Worker.KillAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () => await StreamingProcessAsync(db, feed.Slot) == second.ProcessId && second.Output.Contains(Streaming, StringComparison.Ordinal),
            () => $"the second worker snapshots and streams\n{second.Output}", TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));

        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @org", new { org });
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged through the second worker\n{second.Output}", Within);
    }

    [Fact]
    public async Task A_slot_lost_while_the_worker_runs_is_made_again_and_changes_before_and_after_converge_within_5_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var before = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(before, presets: 0);
        var after = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(after, presets: 0);
        await using var feed = await FeedAsync(db);
        var walsender = await db.ScalarAsync<int>("SELECT active_pid FROM pg_replication_slots WHERE slot_name = @slot", new { slot = feed.Slot });

        // The change commits while no slot has reached its consistent point: the walsender is ended (and its temporary
        // slot with it) inside the change's transaction, and a new slot cannot become consistent before it commits. So
        // the new slot never decodes it; only the snapshot can find it.
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @before",
                new { before }, transaction);
            await db.ExecuteAsync("SELECT pg_terminate_backend(@walsender)", new { walsender });
            await Eventually.TrueAsync(async () => !await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slot AND active_pid = @walsender)", new { slot = feed.Slot, walsender }),
                "the slot is gone with its walsender");
            await transaction.CommitAsync();
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @after", new { after });

        await Eventually.TrueAsync(async () => await db.Seed.ConvergedAsync(before, db.PrebuildsUserId) && await db.Seed.ConvergedAsync(after, db.PrebuildsUserId),
            () => $"both changes converged within 5 s\n{feed.Worker.Output}", TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.False(feed.Worker.HasExited);
        await Eventually.TrueAsync(async () => await StreamingProcessAsync(db, feed.Slot) == feed.Worker.ProcessId, () => $"the same process streams again\n{feed.Worker.Output}");
    }

    [Fact]
    public async Task With_every_worker_stopped_no_slot_holds_back_the_wal_of_coders_writes()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var feed = await FeedAsync(db);
        await feed.Worker.KillAsync(); // not even a clean shutdown

        // About 100 MB of WAL from writes to one of Coder's tables.
        var start = await db.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");
        long written = 0;
        for (var batch = 0; written < 100L << 20; batch++)
        {
            await db.ExecuteAsync(
                """
                INSERT INTO organizations (id, name, description, created_at, updated_at, display_name, deleted)
                SELECT gen_random_uuid(), 'wal-' || @batch || '-' || n, repeat(md5(n::text), 30), now(), now(), 'wal', false FROM generate_series(1, 20000) n
                """, new { batch });
            written = await db.ScalarAsync<long>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @start::pg_lsn)::bigint", new { start });
        }

        await Eventually.TrueAsync(async () => !await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE database = current_database())"),
            "no replication slot of this database is left to hold its WAL");
    }

    [Fact]
    public async Task A_permanent_slot_left_by_an_earlier_version_is_dropped_and_the_feed_streams_from_a_temporary_one()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        var slot = $"prebuilds_test_{Guid.NewGuid():N}";
        Assert.Equal(0, (await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString }, "migrate", "--with-change-feed")).ExitCode);
        await db.ExecuteAsync("SELECT pg_create_logical_replication_slot(@slot, 'pgoutput')", new { slot });
        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?> { ["ChangeFeed:Enabled"] = "true", ["ChangeFeed:SlotName"] = slot });

        await Eventually.TrueAsync(async () => worker.Output.Contains(Streaming, StringComparison.Ordinal)
            && await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slot AND active AND temporary)", new { slot }),
            () => $"the worker streams from a temporary slot\n{worker.Output}");
        Assert.Contains($"dropped the permanent replication slot {slot} left by an earlier version", worker.Output, StringComparison.Ordinal);
        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @org", new { org });
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged\n{worker.Output}", Within);
    }

    [Fact]
    public async Task Status_and_the_gauges_show_the_feed_its_state_and_its_lag()
    {
        await using var db = await server.CreateDatabaseAsync();
        var slot = $"prebuilds_test_{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = slot };
        Assert.Equal(0, (await CliRun.ExecuteAsync(settings, "migrate", "--with-change-feed")).ExitCode);

        var status = await CliRun.ExecuteAsync(settings, "status");

        Assert.Contains("change feed: no replica streams", status.StandardError, StringComparison.Ordinal);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var host = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["ChangeFeed:Enabled"] = "true",
            ["ChangeFeed:SlotName"] = slot,
            ["ChangeFeed:LagCheckInterval"] = "00:00:01",
        });
        using var metrics = new MetricRecorder(host.Services);
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("prebuilds.change_feed.lag") is >= 0), "the lag gauge reports");
        Assert.Equal(1, metrics.Gauge("prebuilds.change_feed.state", ("state", "streaming")));
        Assert.Equal(0, metrics.Gauge("prebuilds.change_feed.state", ("state", "standing_by")));
        // A new stream is a new snapshot: end the walsender, and the reconnection counts one.
        await db.ExecuteAsync("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = @slot", new { slot });
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Sum("prebuilds.change_feed.snapshots") >= 1), "the reconnection's snapshot is counted");
        await Eventually.TrueAsync(async () => (await CliRun.ExecuteAsync(settings, "status")).StandardError.Contains($"change feed: replica {Environment.ProcessId}@", StringComparison.Ordinal),
            "status sees this process stream");
        var json = await CliRun.ExecuteAsync(settings, "status", "--json");
        using var document = System.Text.Json.JsonDocument.Parse(json.StandardOutput);
        var replica = Assert.Single(document.RootElement.GetProperty("changeFeed").GetProperty("replicas").EnumerateArray());
        Assert.Equal("streaming", replica.GetProperty("state").GetString());
        Assert.True(document.RootElement.GetProperty("changeFeed").GetProperty("publication").GetBoolean());
    }

    [Fact]
    public async Task Between_transactions_the_reader_acknowledges_so_writes_outside_the_publication_are_not_held_back()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var feed = await FeedAsync(db);
        var start = await db.ScalarAsync<string>("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = @slot", new { slot = feed.Slot });

        // Coder's writes to tables the publication leaves out (most of its writes) send the reader nothing to handle.
        await db.ExecuteAsync("UPDATE users SET updated_at = now()");
        var written = await db.ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");

        await Eventually.TrueAsync(() => db.ScalarAsync<bool>(
                "SELECT confirmed_flush_lsn >= @written::pg_lsn AND confirmed_flush_lsn > @start::pg_lsn FROM pg_replication_slots WHERE slot_name = @slot",
                new { slot = feed.Slot, written, start }),
            () => $"the slot's confirmed position passes the unpublished writes\n{feed.Worker.Output}", TimeSpan.FromSeconds(45));
    }

    [Fact]
    public async Task A_slot_holding_back_more_wal_than_the_threshold_is_warned_about()
    {
        await using var db = await server.CreateDatabaseAsync();
        var slot = $"prebuilds_test_{Guid.NewGuid():N}";
        Assert.Equal(0, (await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = slot }, "migrate", "--with-change-feed")).ExitCode);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["ChangeFeed:Enabled"] = "true",
            ["ChangeFeed:SlotName"] = slot,
            ["ChangeFeed:LagWarningBytes"] = "1024",
            ["ChangeFeed:LagCheckInterval"] = "00:00:01",
        });

        // WAL the feed does not publish (users is not in the publication), written faster than the reader acknowledges
        // between transactions (every 5 s) and than the slot's restart position moves.
        await Eventually.TrueAsync(async () =>
        {
            await db.ExecuteAsync("UPDATE users SET updated_at = now()");
            return worker.Output.Contains($"replication slot {slot} holds back", StringComparison.Ordinal);
        }, () => $"the lag warning\n{worker.Output}");
        Assert.Contains("ChangeFeed:LagWarningBytes (1024)", worker.Output, StringComparison.Ordinal);
    }

    /// <summary>The worker process streaming from the slot, by the application name its replication connection carries.</summary>
    private static async Task<int?> StreamingProcessAsync(TestDatabase db, string slot)
    {
        var name = await db.ScalarAsync<string?>(
            "SELECT coalesce((SELECT a.application_name FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid WHERE s.slot_name = @slot), '')", new { slot });
        return name is { Length: > 0 } && int.TryParse(name.Split(' ')[^1].Split('@')[0], out var pid) ? pid : null;
    }

    /// <summary>The feed set up (the publication) with a slot name of its own (slot names are per server), and a worker streaming from its temporary slot.</summary>
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
            ["ChangeFeed:RetryInterval"] = "00:00:02",
        });
        // Creating a slot waits for the transactions open on the server at that moment (other tests') to end. Then the
        // snapshot's reconciliation (the only one: no schedule, no start-up request) must be done, or a test's change
        // could converge through it and prove nothing of the stream.
        await Eventually.TrueAsync(async () => worker.Output.Contains(Streaming, StringComparison.Ordinal)
            && worker.Output.Contains("organizations checked", StringComparison.Ordinal)
            && await db.ScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slot AND active)", new { slot }),
            () => $"the worker streams from its slot, its snapshot done\n{worker.Output}");
        return new Feed(worker, isolated, slot, new Dictionary<string, string?> { ["ChangeFeed:Enabled"] = "true", ["ChangeFeed:SlotName"] = slot, ["ChangeFeed:RetryInterval"] = "00:00:02" });
    }

    private sealed record Feed(WorkerProcess Worker, IsolatedBroker Broker, string Slot, Dictionary<string, string?> Settings) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Worker.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }
}
