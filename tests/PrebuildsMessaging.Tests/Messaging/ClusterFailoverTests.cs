using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>
/// RabbitMq:ClusterNodes on a real three-node cluster with quorum queues: the node the worker is connected to
/// stops mid-convergence, and the same worker process carries on through another node.
/// </summary>
// Timing: bound by a cluster node stopped and the clients' reconnection.
[Trait("Category", "Timing")]
public sealed partial class ClusterFailoverTests(PostgresServer server, RabbitMqCluster cluster) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqCluster>
{
    private const int Organizations = 3000;

    [Fact]
    public async Task Stopping_the_workers_node_mid_convergence_loses_nothing_and_needs_no_restart()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(Organizations);
        // The worker runs at its defaults; the database is slowed down instead (30 ms per group membership written),
        // so that the node stops while most organizations are still to do.
        await db.ScalarAsync<int>("""
            CREATE FUNCTION test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.03); RETURN NEW; END $$;
            CREATE TRIGGER test_slow_insert BEFORE INSERT ON group_members FOR EACH ROW EXECUTE FUNCTION test_slow_insert();
            SELECT 1
            """);
        var (amqpUri, management, deleteVirtualHost) = await cluster.VirtualHostAsync();
        int? stopped = null;
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["RabbitMq:ClusterNodes"] = string.Join(",", cluster.AmqpNodes),
                ["RabbitMq:ManagementUrl"] = string.Join(",", cluster.ManagementUrls),
                ["Bus:QuorumQueues"] = "true",
                ["Logging:LogLevel:MassTransit"] = "Debug", // for the node each connection is on
            };
            // A first start declares the queues; every event is then waiting when the worker starts for good.
            await using (await WorkerProcess.StartAsync(db, amqpUri, settings))
            {
            }

            await TestPublisher.PresetsChangedAsync(amqpUri, orgs);
            await using var worker = await WorkerProcess.StartAsync(db, amqpUri, settings);
            await Eventually.TrueAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM group_members") > 0, "the worker has started writing");

            // Stop the node the worker is connected to, as MassTransit logs it ("Connected: ... (address: amqp://host:port, ...)").
            var node = cluster.NodeOfPort(ConnectedPorts(worker.Output)[^1]);
            await cluster.StopNodeAsync(node);
            stopped = node;
            var doneWhenStopped = await db.ScalarAsync<long>("SELECT count(*) FROM group_members");
            Assert.True(doneWhenStopped < Organizations, $"the node stopped mid-convergence ({doneWhenStopped} of {Organizations} done)");

            await Eventually.TrueAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM group_members") == Organizations,
                () => $"every organization converges through another node (node {node} stopped; {doneWhenStopped} done then)\n{worker.Output}", TimeSpan.FromMinutes(3));

            Assert.False(worker.HasExited, "the worker kept running: nothing restarted it");
            Assert.Equal(Organizations, await db.ScalarAsync<long>("SELECT count(DISTINCT organization_id) FROM organization_members"));
            Assert.Equal(Organizations, await db.ScalarAsync<long>("SELECT count(*) FROM organization_members"));
            Assert.Equal(Organizations, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
            foreach (var queue in QueueNames.All)
            {
                Assert.Empty(await management.PeekAsync(queue + "_error", 10, CancellationToken.None));
            }

            // The worker connected again, to another node.
            var connections = ConnectedPorts(worker.Output).Select(cluster.NodeOfPort).ToList();
            Assert.True(connections.Count >= 2, "the worker connected again");
            Assert.NotEqual(node, connections[^1]);
        }
        finally
        {
            // Best effort, so that a failure above is the one reported.
            try
            {
                if (stopped is { } node)
                {
                    await cluster.StartNodeAsync(node);
                }

                management.Dispose();
                await deleteVirtualHost();
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
            {
                Console.Error.WriteLine($"cleanup after the cluster test: {ex.Message}");
            }
        }
    }

    private static List<int> ConnectedPorts(string output) =>
        [.. ConnectedLine().Matches(output).Select(m => int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture))];

    [System.Text.RegularExpressions.GeneratedRegex(@"Connected: .*\(address: amqps?://[^:]+:(?<port>\d+)")]
    private static partial System.Text.RegularExpressions.Regex ConnectedLine();
}
