using Quartz;

namespace PrebuildsMessaging.Worker.Schedule;

/// <summary>The one trigger of the scheduled reconciliation, built from configuration.</summary>
public static class ReconciliationScheduleTrigger
{
    public static readonly TriggerKey Key = new("reconcile-all-trigger", ReconciliationScheduleJob.Key.Group);

    public static void Configure(ITriggerConfigurator<IJob> trigger, ScheduleOptions schedule)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(schedule);
        trigger.ForJob(ReconciliationScheduleJob.Key).WithIdentity(Key);
        if (UsesCron(schedule))
        {
            trigger.WithCronSchedule(schedule.Cron!, c => c.WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed));
            return;
        }

        var interval = EffectiveInterval(schedule);
        trigger.StartAt(DateTimeOffset.UtcNow.Add(interval))
            .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount));
    }

    /// <summary>Whether a stored trigger already has the schedule that configuration asks for.</summary>
    public static bool Matches(ITrigger? stored, ScheduleOptions schedule) => stored switch
    {
        ICronTrigger cron => UsesCron(schedule) && string.Equals(cron.CronExpressionString, schedule.Cron, StringComparison.Ordinal),
        ISimpleTrigger simple => !UsesCron(schedule) && simple.RepeatInterval == EffectiveInterval(schedule),
        _ => false,
    };

    private static bool UsesCron(ScheduleOptions schedule) =>
        !string.IsNullOrWhiteSpace(schedule.Cron) && CronExpression.TryParse(schedule.Cron, out _);

    private static TimeSpan EffectiveInterval(ScheduleOptions schedule) =>
        schedule.Interval >= TimeSpan.FromSeconds(1) ? schedule.Interval : TimeSpan.FromSeconds(1);
}
