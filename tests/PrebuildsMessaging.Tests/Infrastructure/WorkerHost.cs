using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrebuildsMessaging.Hosting;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>The real worker (the same host `run` builds), on a real RabbitMQ and a test database.</summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private WorkerHost(IHost host, CapturedLog log)
    {
        Host = host;
        Log = log;
    }

    public IHost Host { get; }

    /// <summary>What the host logged (not printed to the test run's console).</summary>
    public CapturedLog Log { get; }

    public IServiceProvider Services => Host.Services;

    public static async Task<WorkerHost> StartAsync(TestDatabase db, string amqpUri, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = db.ConnectionString,
            ["ConnectionStrings:RabbitMq"] = amqpUri,
            ["Bus:Transport"] = "RabbitMq",
            ["Bus:RetryMinInterval"] = "00:00:00.100",
            ["Bus:RetryMaxInterval"] = "00:00:01",
            ["Schedule:Interval"] = "01:00:00",
            ["Schedule:RunAtStartup"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Health:Enabled"] = "false",
            // Releasing start-up pages would release the whole test process's, under the tests running beside it.
            ["Memory:ReleaseStartupPages"] = "false",
        };
        TestSettings.Merge(values, settings);

        var log = new CapturedLog();
        var builder = ServiceHostFactory.CreateBuilder(b =>
        {
            b.Configuration.AddInMemoryCollection(values);
            WorkerHostBuilder.AddWorker(b);
            b.Logging.ClearProviders().AddProvider(log);
        });
        var host = builder.Build();
        ServiceHostFactory.ValidateOptions(host.Services);
        // MassTransit keeps a static log context; a second host in one process must not reuse the first one's (disposed) logger factory.
        MassTransit.LogContext.ConfigureCurrentLogContext(host.Services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>());
        await host.StartAsync();
        return new WorkerHost(host, log);
    }

    public async Task StopAsync() => await Host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
