using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>
/// The change feed through kills, lost slots and handovers, and its acknowledgements and warnings: bound by the
/// feed's timers (the handover wait, the retry interval, the 5 s idle acknowledgement, the lag check), so in the
/// Timing category.
/// </summary>
[Trait("Category", "Timing")]
public sealed class ChangeFeedRecoveryTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task A_change_made_while_the_worker_was_killed_is_handled_after_the_restart()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
        await feed.Worker.KillAsync(); // SIGKILL: nothing acknowledged on the way out

        await db.ExecuteAsync("INSERT INTO template_version_presets (template_version_id, name, desired_instances) SELECT id, 'p', 1 FROM template_versions WHERE organization_id = @org", new { org });

        await using var restarted = await WorkerProcess.StartAsync(db, feed.Broker.AmqpUri, feed.Settings);
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged after the restart\n{restarted.Output}", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_worker_killed_after_it_published_and_before_the_broker_confirmed_loses_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
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
    public async Task Of_two_workers_exactly_one_streams_and_when_it_is_killed_the_other_snapshots_and_streams_within_10_s()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, presets: 0);
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
        await using var second = await WorkerProcess.StartAsync(db, feed.Broker.AmqpUri, feed.Settings);
        await Eventually.TrueAsync(() => Task.FromResult(second.Output.Contains("standing by", StringComparison.Ordinal)), () => $"the second worker stands by\n{second.Output}");
        Assert.Equal(feed.Worker.ProcessId, await ChangeFeedWorker.StreamingProcessAsync(db, feed.Slot));
        // The database sees the one that streams and the one that waits for the lock; status shows both.
        var status = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ChangeFeed:SlotName"] = feed.Slot }, "status");
        Assert.Contains($"change feed: replica {feed.Worker.ProcessId}@", status.StandardError, StringComparison.Ordinal);
        Assert.Matches($@"replica {second.ProcessId}@\S+ standing by since", status.StandardError);
        Assert.Matches($@"replica {feed.Worker.ProcessId}@\S+ streaming since", status.StandardError);

        await feed.Worker.KillAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(async () => await ChangeFeedWorker.StreamingProcessAsync(db, feed.Slot) == second.ProcessId && second.Output.Contains(ChangeFeedWorker.Streaming, StringComparison.Ordinal),
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
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
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
        await Eventually.TrueAsync(async () => await ChangeFeedWorker.StreamingProcessAsync(db, feed.Slot) == feed.Worker.ProcessId, () => $"the same process streams again\n{feed.Worker.Output}");
    }

    [Fact]
    public async Task Between_transactions_the_reader_acknowledges_so_writes_outside_the_publication_are_not_held_back()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var feed = await ChangeFeedWorker.StartAsync(db, broker);
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
}
