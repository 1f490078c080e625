using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Messaging;

namespace PrebuildsMessaging.Scheduling;

/// <summary>Requests one full reconciliation when the worker starts (after the bus has started).</summary>
internal sealed class StartupReconcileRequester(IBus bus, IOptions<ScheduleOptions> options, TimeProvider timeProvider) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.RunAtStartup
            ? bus.Publish(ReconcileRequestedFactory.All(ReconcileSources.Schedule, timeProvider), cancellationToken)
            : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
