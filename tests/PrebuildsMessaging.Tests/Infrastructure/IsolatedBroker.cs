using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Operations;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>A fresh RabbitMQ virtual host for one test, so its _error queues hold only its own messages.</summary>
public sealed class IsolatedBroker : IAsyncDisposable
{
    private readonly RabbitMqManagement admin;

    private IsolatedBroker(RabbitMqManagement admin, string virtualHost, string amqpUri)
    {
        this.admin = admin;
        VirtualHost = virtualHost;
        AmqpUri = amqpUri;
        var connection = RabbitMqConnection.Parse(amqpUri);
        Management = new RabbitMqManagementClient(connection, new Uri(System.Environment.GetEnvironmentVariable(RabbitMqManagement.EnvironmentVariable)
            ?? $"http://{connection.Host}:15672/"));
    }

    public string VirtualHost { get; }
    public string AmqpUri { get; }
    public RabbitMqManagementClient Management { get; }

    /// <summary>Environment for a CLI run against this virtual host and a test database.</summary>
    public Dictionary<string, string?> CliEnvironment(TestDatabase db) => new()
    {
        ["ConnectionStrings:Postgres"] = db.ConnectionString,
        ["ConnectionStrings:RabbitMq"] = AmqpUri,
        ["RabbitMq:ManagementUrl"] = System.Environment.GetEnvironmentVariable(RabbitMqManagement.EnvironmentVariable),
    };

    public static async Task<IsolatedBroker> CreateAsync(RabbitMqBroker broker)
    {
        var admin = new RabbitMqManagement(await broker.GetAmqpUriAsync());
        var vhost = $"prebuilds-{Guid.NewGuid():N}";
        return new IsolatedBroker(admin, vhost, await admin.CreateVirtualHostAsync(vhost));
    }

    /// <summary>A queue's properties (type, durable, arguments, ...) from the management API.</summary>
    public Task<System.Text.Json.JsonElement> QueueAsync(string queue) => admin.QueueAsync(VirtualHost, queue);

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
        await admin.DeleteVirtualHostAsync(VirtualHost);
        admin.Dispose();
    }
}
