using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>
/// The change feed's requests and its slot: one request per transaction, no WAL kept for stopped workers, an older
/// version's permanent slot dropped, and what `status` and the gauges show. Beside <see cref="ChangeFeedTests"/>,
/// so that the two run in parallel.
/// </summary>
public sealed class ChangeFeedSlotTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_transaction_of_500_presets_is_one_request_for_its_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
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
    public async Task With_every_worker_stopped_no_slot_holds_back_the_wal_of_coders_writes()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
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

        await Eventually.TrueAsync(async () => worker.Output.Contains(ChangeFeedWorker.Streaming, StringComparison.Ordinal)
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
}
