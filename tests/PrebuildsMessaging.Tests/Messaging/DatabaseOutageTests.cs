using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>PostgreSQL goes down under load: the worker stops consuming instead of spinning, says so once, and resumes by itself.</summary>
// Timing: bound by the circuit breaker's trip and restart timers.
[Trait("Category", "Timing")]
public sealed class DatabaseOutageTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const string EnsureQueue = "prebuilds-ensure-org-setup";

    [Fact]
    public async Task The_circuit_opens_while_the_database_is_down_and_closes_by_itself_when_it_is_back()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(120);

        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Bus:RetryLimit"] = "0",
            ["Bus:EnsureConcurrency"] = "1",
            // On a batch endpoint the circuit counts batches: two failed batches of five open it.
            ["Bus:EnsureBatchMessageLimit"] = "5",
            ["Bus:CircuitBreakerActivationThreshold"] = "2",
            ["Bus:CircuitBreakerTripThreshold"] = "0.5",
            ["Bus:CircuitBreakerRestartTimeout"] = "00:00:03",
        });

        await server.SetDatabaseAvailableAsync(db.Name, available: false);
        try
        {
            await TestPublisher.EnsureCommandsAsync(isolated.AmqpUri, orgs, db.PrebuildsUserId);
            await Eventually.TrueAsync(() => Task.FromResult(worker.Output.Contains($"Circuit open: stopped consuming {EnsureQueue}", StringComparison.Ordinal)),
                "the circuit opens");
            // Once nothing is in flight, every command has either faulted or waits in the queue.
            int faulted = 0, waiting = 0;
            await Eventually.TrueAsync(async () =>
            {
                faulted = (await isolated.Management.PeekAsync($"{EnsureQueue}_error", 200, CancellationToken.None)).Count;
                waiting = (await isolated.Management.PeekAsync(EnsureQueue, 200, CancellationToken.None)).Count;
                return faulted + waiting == orgs.Count;
            }, "no command in flight");

            // It did not burn through the queue: most commands still wait in it, a few faulted.
            Assert.InRange(faulted, 1, 60);
            Assert.True(waiting >= 60, $"{waiting} commands still wait in the queue ({faulted} faulted)");
            Assert.Equal(1, Occurrences(worker.Output, $"Circuit open: stopped consuming {EnsureQueue}"));
        }
        finally
        {
            await server.SetDatabaseAvailableAsync(db.Name, available: true);
            db.DataSource.Clear();
        }

        // Back by itself: the waiting commands are handled without anyone's help.
        await Eventually.TrueAsync(() => Task.FromResult(worker.Output.Contains($"Circuit closed: consuming {EnsureQueue} again", StringComparison.Ordinal)),
            "the circuit closes", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(async () => (await isolated.Management.PeekAsync(EnsureQueue, 1, CancellationToken.None)).Count == 0,
            "the waiting commands are handled", TimeSpan.FromSeconds(60));

        // What faulted is in the error queue, and a replay finishes the job.
        var replay = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "replay", "--all");
        Assert.True(replay.ExitCode == 0, replay.StandardOutput + replay.StandardError);
        await Eventually.TrueAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM group_members") == orgs.Count,
            "every organization converges", TimeSpan.FromSeconds(60));
    }

    private static int Occurrences(string text, string what) =>
        (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;
}
