using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// A fresh RabbitMQ virtual host for one test, so that its queues hold only its own messages and tests run in
/// parallel on one broker. The management API is the Testcontainers broker's mapped port, or at
/// PREBUILDS_TEST_RABBITMQ_MANAGEMENT (test.sh sets it), or port 15672 of the AMQP host.
/// </summary>
public sealed class IsolatedBroker : IAsyncDisposable
{
    public const string ManagementEnvironmentVariable = "PREBUILDS_TEST_RABBITMQ_MANAGEMENT";

    private readonly RabbitMqManagementClient admin;

    private IsolatedBroker(RabbitMqManagementClient admin, string virtualHost, string amqpUri, Uri managementUrl)
    {
        this.admin = admin;
        VirtualHost = virtualHost;
        AmqpUri = amqpUri;
        ManagementUrl = managementUrl;
        Management = new RabbitMqManagementClient(RabbitMqConnection.Parse(amqpUri), managementUrl);
    }

    public string VirtualHost { get; }
    public string AmqpUri { get; }
    public Uri ManagementUrl { get; }

    /// <summary>The management API on this virtual host.</summary>
    public RabbitMqManagementClient Management { get; }

    /// <summary>Environment for a CLI run against this virtual host and a test database.</summary>
    public Dictionary<string, string?> CliEnvironment(TestDatabase db) => new()
    {
        ["ConnectionStrings:Postgres"] = db.ConnectionString,
        ["ConnectionStrings:RabbitMq"] = AmqpUri,
        [ManagementEndpoint.SettingName] = ManagementUrl.ToString(),
    };

    public static async Task<IsolatedBroker> CreateAsync(RabbitMqBroker broker)
    {
        var root = new Uri(await broker.GetAmqpUriAsync());
        var managementUrl = await broker.GetManagementUrlAsync()
            ?? new Uri(Environment.GetEnvironmentVariable(ManagementEnvironmentVariable) ?? $"http://{root.Host}:15672/");
        var admin = new RabbitMqManagementClient(RabbitMqConnection.Parse(root.ToString()), managementUrl);
        var virtualHost = $"prebuilds-{Guid.NewGuid():N}";
        await admin.CreateVirtualHostAsync(virtualHost, CancellationToken.None);
        return new IsolatedBroker(admin, virtualHost, new UriBuilder(root) { Path = "/" + virtualHost }.Uri.ToString(), managementUrl);
    }

    /// <summary>A queue's properties (type, durable, arguments, ...) from the management API.</summary>
    public Task<System.Text.Json.JsonElement> QueueAsync(string queue) => Management.QueueAsync(queue, CancellationToken.None);

    /// <summary>
    /// Whether a queue has had at least this many messages acknowledged in all, none waits or is unacknowledged, and
    /// every message that entered it was acknowledged: its consumer has finished with all of them. The management
    /// API's statistics lag by a few seconds, but its counts only grow, so this never holds early.
    /// </summary>
    public async Task<bool> AllAcknowledgedAsync(string queue, long atLeast = 1)
    {
        var json = await QueueAsync(queue);
        long Stat(string name) => json.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var value) ? value.GetInt64() : 0;
        var messages = json.TryGetProperty("messages", out var m) ? m.GetInt64() : -1;
        return messages == 0 && Stat("ack") >= atLeast && Stat("ack") >= Stat("publish");
    }

    /// <summary>How many messages a queue holds, once the management API reports it (a queue just declared has no statistics yet).</summary>
    public async Task<int> MessageCountAsync(string queue)
    {
        var count = -1;
        await Eventually.TrueAsync(async () =>
        {
            var found = (await QueueAsync(queue)).TryGetProperty("messages", out var messages);
            count = found ? messages.GetInt32() : -1;
            return found;
        }, $"the management API reports the messages of {queue}");
        return count;
    }

    /// <summary>Waits until a queue holds at least this many messages (read live, not from the management statistics).</summary>
    public async Task<IReadOnlyList<ErrorQueueMessage>> WaitForMessagesAsync(string queue, int count, TimeSpan? timeout = null)
    {
        IReadOnlyList<ErrorQueueMessage> messages = [];
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                messages = await Management.PeekAsync(queue, count + 10, CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                messages = []; // MassTransit creates an error queue on its first fault
            }

            return messages.Count >= count;
        }, $"{count} messages in {queue}", timeout);
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        Management.Dispose();
        await admin.DeleteVirtualHostAsync(VirtualHost, CancellationToken.None);
        admin.Dispose();
    }
}
