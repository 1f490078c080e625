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

    private static readonly Lazy<Task<string>> SharedUri = new(StartAsync);

    /// <summary>The broker's amqp:// URI, on its default virtual host.</summary>
    public Task<string> GetAmqpUriAsync() => SharedUri.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Task.CompletedTask;

    private static async Task<string> StartAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        try
        {
            var container = new RabbitMqBuilder("rabbitmq:3-management").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return container.GetConnectionString();
        }
        catch (Exception ex)
        {
            throw new InvalidOperationException(
                $"No RabbitMQ for the tests: set {EnvironmentVariable} to an amqp:// URI, run ./test.sh (which starts one), " +
                "or provide a Docker engine that can run rabbitmq:3-management.", ex);
        }
    }
}
