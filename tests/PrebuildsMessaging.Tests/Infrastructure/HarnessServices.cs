using MassTransit.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Core;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Pause;
using PrebuildsMessaging.Worker;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>The service's consumers on MassTransit's in-memory test harness, wired to a test database.</summary>
public static class HarnessServices
{
    /// <summary>The harness, started; dispose it to stop the bus and release the services.</summary>
    public static async Task<StartedHarness> StartAsync(TestDatabase db, IDictionary<string, string?>? settings = null)
    {
        var provider = Create(db, settings);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        return new StartedHarness(provider, harness);
    }

    public static ServiceProvider Create(TestDatabase db, IDictionary<string, string?>? settings = null)
    {
        var values = TestSettings.Merge(new() { ["ConnectionStrings:Postgres"] = db.ConnectionString }, settings);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddPrebuildsCore(configuration)
            .AddMetrics()
            .AddSingleton<PrebuildsMetrics>()
            .AddSingleton<CoderPauseWatcher>()
            .Configure<BusOptions>(o =>
            {
                o.Transport = BusTransport.InMemory;
                o.RetryLimit = 3;
                o.RetryMinInterval = TimeSpan.FromMilliseconds(10);
                o.RetryMaxInterval = TimeSpan.FromMilliseconds(50);
            })
            .AddMassTransitTestHarness(x => x.AddPrebuildsConsumers())
            .BuildServiceProvider(true);
    }
}

/// <summary>A started test harness and the services behind it.</summary>
public sealed class StartedHarness(ServiceProvider provider, ITestHarness harness) : IAsyncDisposable
{
    public ITestHarness Harness { get; } = harness;

    public IServiceProvider Services => provider;

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}
