using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Worker.Schedule;

/// <summary>Requests one full reconciliation (source startup) when the worker starts, after the bus has started.</summary>
internal sealed class StartupReconciliation(IBus bus, IOptions<ScheduleOptions> options, TimeProvider timeProvider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.RunAtStartup
            ? bus.Publish(ReconciliationRequests.All(ReconcileSources.Startup, timeProvider), cancellationToken)
            : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
