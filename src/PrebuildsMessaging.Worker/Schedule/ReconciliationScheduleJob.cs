using MassTransit;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Reconciliation;
using Quartz;

namespace PrebuildsMessaging.Worker.Schedule;

/// <summary>The Quartz job: publish a full ReconcileRequested (source schedule), requested at the firing's scheduled time.</summary>
[DisallowConcurrentExecution]
public sealed class ReconciliationScheduleJob(IBus bus, TimeProvider timeProvider) : IJob
{
    public static readonly JobKey Key = new("reconcile-all", "prebuilds-messaging");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var requestedAt = context.ScheduledFireTimeUtc ?? timeProvider.GetUtcNow();
        await bus.Publish(ReconciliationRequests.All(ReconcileSources.Schedule, requestedAt), cancellationToken).ConfigureAwait(false);
    }
}
