using Testcontainers.RabbitMq;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// A real RabbitMQ for the integration tests: the one named by PREBUILDS_TEST_RABBITMQ (test.sh starts one
/// natively), or else a Testcontainers container. Started on first use, so tests that need no broker never wait.
/// </summary>
public sealed class RabbitMqBroker : IAsyncLifetime
{
    public const string EnvironmentVariable = "PREBUILDS_TEST_RABBITMQ";

    private RabbitMqContainer? container;
    private string? uri;

    public async Task<string> GetAmqpUriAsync()
    {
        // Tests of one collection run one at a time: no two callers start the broker at once.
        if (uri is not null)
        {
            return uri;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return uri = fromEnvironment;
        }

        try
        {
            container = new RabbitMqBuilder("rabbitmq:3-management").Build();
            await container.StartAsync();
            return uri = container.GetConnectionString();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"No RabbitMQ for the tests: set {EnvironmentVariable} to an amqp:// URI, run ./test.sh (which starts one), " +
                "or provide a Docker engine that can run rabbitmq:3-management.", ex);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (container is not null)
        {
            await container.DisposeAsync();
        }

    }
}
