using Testcontainers.RabbitMq;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// A real RabbitMQ for the integration tests: the one named by PREBUILDS_TEST_RABBITMQ (test.sh starts one
/// natively), or else a Testcontainers container. Started on first use, so tests that need no broker never wait.
/// A class fixture: every class shares the one broker of the test process. Tests take a virtual host of
/// their own from it (<see cref="IsolatedBroker"/>), so classes run in parallel.
/// </summary>
public sealed class RabbitMqBroker : IAsyncLifetime
{
    public const string EnvironmentVariable = "PREBUILDS_TEST_RABBITMQ";

    /// <summary>The image Testcontainers runs when no broker is given: rabbitmq:3-management, or e.g. prebuilds-messaging/rabbitmq:3-management.</summary>
    public const string ImageEnvironmentVariable = "PREBUILDS_TEST_RABBITMQ_IMAGE";

    private static readonly Lazy<Task<(string Amqp, Uri? Management)>> Shared = new(StartAsync);

    /// <summary>The broker's amqp:// URI, on its default virtual host.</summary>
    public async Task<string> GetAmqpUriAsync() => (await Shared.Value).Amqp;

    /// <summary>The management API of a broker Testcontainers started (its mapped port), or null for a broker given by URI.</summary>
    public async Task<Uri?> GetManagementUrlAsync() => (await Shared.Value).Management;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<(string Amqp, Uri? Management)> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return (fromEnvironment, null);
        }

        try
        {
            const int managementPort = 15672;
            var container = new RabbitMqBuilder(Environment.GetEnvironmentVariable(ImageEnvironmentVariable) ?? "rabbitmq:3-management")
                .WithPortBinding(managementPort, assignRandomHostPort: true)
                .Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return (container.GetConnectionString(), new Uri($"http://{container.Hostname}:{container.GetMappedPublicPort(managementPort)}/"));
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"No RabbitMQ for the tests: set {EnvironmentVariable} to an amqp:// URI, run ./test.sh (which starts one), " +
                $"or provide a Docker engine that can run {Environment.GetEnvironmentVariable(ImageEnvironmentVariable) ?? "rabbitmq:3-management"} ({ImageEnvironmentVariable}).", ex);
        }
    }
}
