namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// A worker with the change feed on, streaming from a temporary slot of its own name (slot names are per server),
/// on a broker of its own: what the change feed's tests start.
/// </summary>
public sealed record ChangeFeedWorker(WorkerProcess Worker, IsolatedBroker Broker, string Slot, Dictionary<string, string?> Settings) : IAsyncDisposable
{
    /// <summary>What a replica logs once its slot is made and the snapshot requested.</summary>
    public const string Streaming = "after requesting a reconciliation of every organization (snapshot)";

    /// <summary>The worker process streaming from the slot, by the application name its replication connection carries.</summary>
    public static async Task<int?> StreamingProcessAsync(TestDatabase db, string slot)
    {
        var name = await db.ScalarAsync<string?>(
            "SELECT coalesce((SELECT a.application_name FROM pg_replication_slots s JOIN pg_stat_activity a ON a.pid = s.active_pid WHERE s.slot_name = @slot), '')", new { slot });
        return name is { Length: > 0 } && int.TryParse(name.Split(' ')[^1].Split('@')[0], out var pid) ? pid : null;
    }

    /// <summary>The feed set up (the publication) with a slot name of its own (slot names are per server), and a worker streaming from its temporary slot.</summary>
    public static async Task<ChangeFeedWorker> StartAsync(TestDatabase db, RabbitMqBroker broker)
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
        return new ChangeFeedWorker(worker, isolated, slot, new Dictionary<string, string?> { ["ChangeFeed:Enabled"] = "true", ["ChangeFeed:SlotName"] = slot, ["ChangeFeed:RetryInterval"] = "00:00:02" });
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
