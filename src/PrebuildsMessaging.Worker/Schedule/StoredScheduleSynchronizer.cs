using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace PrebuildsMessaging.Worker.Schedule;

/// <summary>
/// Replicas leave a stored trigger alone at start-up (see AddPrebuildsSchedule), so a changed
/// Schedule:Interval or Schedule:Cron would never reach it. This reschedules it once, and only when the
/// stored schedule differs from configuration.
/// </summary>
internal sealed partial class StoredScheduleSynchronizer(
    ISchedulerFactory schedulerFactory,
    IOptions<ScheduleOptions> options,
    ILogger<StoredScheduleSynchronizer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var schedule = options.Value;
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken).ConfigureAwait(false);
        var stored = await scheduler.GetTrigger(ReconciliationScheduleTrigger.Key, cancellationToken).ConfigureAwait(false);
        if (stored is null || ReconciliationScheduleTrigger.Matches(stored, schedule))
        {
            return;
        }

        var builder = TriggerBuilder.Create();
        ReconciliationScheduleTrigger.Configure(builder, schedule);
        var replacement = builder.Build();
        await scheduler.RescheduleJob(ReconciliationScheduleTrigger.Key, replacement, cancellationToken).ConfigureAwait(false);
        var configured = schedule.Cron ?? schedule.Interval.ToString();
        LogRescheduled(logger, configured);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "The stored reconciliation schedule differed from configuration; rescheduled to {Schedule}")]
    private static partial void LogRescheduled(ILogger logger, string schedule);
}
