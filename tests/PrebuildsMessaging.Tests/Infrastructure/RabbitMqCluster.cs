using System.Globalization;
using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// A real three-node RabbitMQ cluster on loopback, started once per test run by compose/native/rabbitmq-cluster.sh:
/// the Debian package's binaries, data in .local/test-rabbitmq-cluster, AMQP on three free ports from 5691 (management
/// 10000 above, Erlang distribution 20000 above). A cluster left there by an earlier run is stopped first; this one is
/// left running when the tests end, and test.sh stops it. A class fixture, for the tests that stop a node under a worker.
/// </summary>
public sealed class RabbitMqCluster : IAsyncLifetime
{
    private static readonly Lazy<Task<(string StateDirectory, int AmqpBasePort)>> Shared = new(StartAsync);

    private string stateDirectory = "";
    private int amqpBasePort;

    public IReadOnlyList<string> AmqpNodes => [.. Enumerable.Range(0, 3).Select(i => $"127.0.0.1:{(amqpBasePort + i).ToString(CultureInfo.InvariantCulture)}")];

    public IReadOnlyList<Uri> ManagementUrls => [.. Enumerable.Range(0, 3).Select(i => new Uri($"http://127.0.0.1:{(amqpBasePort + 10_000 + i).ToString(CultureInfo.InvariantCulture)}/"))];

    public async Task InitializeAsync() => (stateDirectory, amqpBasePort) = await Shared.Value;

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A fresh virtual host on the cluster; the URI points at node 1, and the nodes list names all three.</summary>
    public async Task<(string AmqpUri, RabbitMqManagementClient Management, Func<Task> Delete)> VirtualHostAsync()
    {
        var root = RabbitMqConnection.Parse($"amqp://guest:guest@{AmqpNodes[0]}/");
        var admin = new RabbitMqManagementClient(root, ManagementUrls);
        var name = $"prebuilds-{Guid.NewGuid():N}";
        await admin.CreateVirtualHostAsync(name, CancellationToken.None);
        var uri = $"amqp://guest:guest@{AmqpNodes[0]}/{name}";
        return (uri, new RabbitMqManagementClient(RabbitMqConnection.Parse(uri), ManagementUrls), async () =>
        {
            await admin.DeleteVirtualHostAsync(name, CancellationToken.None);
            admin.Dispose();
        });
    }

    /// <summary>The node (1 to 3) that listens on an AMQP port.</summary>
    public int NodeOfPort(int amqpPort) => amqpPort - amqpBasePort + 1 is var node and >= 1 and <= 3
        ? node
        : throw new ArgumentOutOfRangeException(nameof(amqpPort), amqpPort, "not a port of the cluster");

    /// <summary>Stops node N's broker (its connections close, its quorum replicas go away); the VM stays up.</summary>
    public Task StopNodeAsync(int node) => ScriptAsync($"rabbit_cluster_node_stop_app '{stateDirectory}' {node}");

    public Task StartNodeAsync(int node) => ScriptAsync($"rabbit_cluster_node_start_app '{stateDirectory}' {node}");

    private static async Task<(string, int)> StartAsync()
    {
        var state = Path.Combine(Path.GetDirectoryName(RepositoryFiles.Path("compose"))!, ".local", "test-rabbitmq-cluster");
        await ScriptAsync($"rabbit_cluster_stop '{state}'");
        var basePort = Enumerable.Range(0, 50).Select(i => 5691 + (i * 10)).First(FreeForACluster);
        await ScriptAsync($"rabbit_cluster_start '{state}' {basePort} {basePort + 10_000}");
        return (state, basePort);
    }

    /// <summary>Three AMQP ports from the base, and their management and distribution ports, all free on loopback.</summary>
    private static bool FreeForACluster(int basePort) =>
        Enumerable.Range(basePort, 3).SelectMany(p => new[] { p, p + 10_000, p + 20_000 }).All(port =>
        {
            try
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        });

    private static Task ScriptAsync(string command) => Shell.ScriptAsync("rabbitmq-cluster.sh", command);
}
