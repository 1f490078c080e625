using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Schedule;

/// <summary>Two worker processes on one database and one virtual host: how often the schedule fires between them.</summary>
// Timing: bound by the schedule's intervals.
[Trait("Category", "Timing")]
public sealed class ReplicaScheduleTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Theory]
    [InlineData("Postgres", 1)] // the clustered store: one firing per interval between the two replicas
    [InlineData("InMemory", 2)] // the in-memory store: each replica fires every interval on its own
    public async Task Two_replicas_fire_once_per_interval_between_them_on_the_clustered_store_and_each_on_the_in_memory_store(string store, int firingsPerInterval)
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var amqp = isolated.AmqpUri;
        var settings = new Dictionary<string, string?>
        {
            ["Schedule:Interval"] = "00:00:01",
            ["Schedule:Store"] = store,
        };
        // Two replicas are two processes, as in production (Quartz registers schedulers per process).
        // Both schedulers have started once both processes report "Application started".
        await using var first = await WorkerProcess.StartAsync(db, amqp, settings);
        await using var second = await WorkerProcess.StartAsync(db, amqp, settings);
        await using var recorder = await ExchangeRecorder.StartAsync(amqp, "PrebuildsMessaging.Contracts:ReconcileRequested");

        // Every firing publishes one request stamped with its scheduled fire time. Count the firings scheduled in a
        // window of six intervals that opens after recording began, once firings from two intervals past its end
        // have arrived (so that a replica running late has delivered its own).
        List<DateTimeOffset> FireTimes() => recorder.Messages
            .Where(m => m.GetProperty("source").GetString() == PrebuildsMessaging.Contracts.ReconcileSources.Schedule)
            .Select(m => m.GetProperty("requestedAt").GetDateTimeOffset())
            .ToList();
        await Eventually.TrueAsync(() => Task.FromResult(FireTimes().Count > 0), "the first firing");
        var windowStart = FireTimes().Min() + TimeSpan.FromSeconds(0.5);
        var windowEnd = windowStart + TimeSpan.FromSeconds(6);
        await Eventually.TrueAsync(() => Task.FromResult(FireTimes().Max() >= windowEnd + TimeSpan.FromSeconds(2)), "firings past the window");

        var inWindow = FireTimes().Where(t => t >= windowStart && t < windowEnd).ToList();
        Assert.Equal(6 * firingsPerInterval, inWindow.Count);
        if (firingsPerInterval == 1)
        {
            Assert.Equal(inWindow.Count, inWindow.Distinct().Count()); // no scheduled time fired by both replicas
        }
    }
}
