using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;

namespace PrebuildsMessaging.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>
    /// The Quartz schedule that publishes full reconciliations, and the one at start-up. Quartz keeps its
    /// triggers in memory: each replica fires on its own schedule (the batch consumer absorbs the duplicates).
    /// </summary>
    public static IServiceCollection AddPrebuildsSchedule(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ScheduleOptions>().Bind(configuration.GetSection(ScheduleOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScheduleOptions>, ScheduleOptionsValidator>();
        var schedule = configuration.GetSection(ScheduleOptions.SectionName).Get<ScheduleOptions>() ?? new ScheduleOptions();

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o => o.InstanceName = "prebuilds-messaging");
            q.AddJob<ReconcileScheduleJob>(j => j.WithIdentity(ReconcileScheduleJob.Key).StoreDurably());
            q.AddTrigger(t =>
            {
                t.ForJob(ReconcileScheduleJob.Key).WithIdentity("reconcile-all-trigger", ReconcileScheduleJob.Key.Group);
                if (!string.IsNullOrWhiteSpace(schedule.Cron) && CronExpression.TryParse(schedule.Cron, out _))
                {
                    t.WithCronSchedule(schedule.Cron, c => c.WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed));
                }
                else
                {
                    var interval = schedule.Interval >= TimeSpan.FromSeconds(1) ? schedule.Interval : TimeSpan.FromSeconds(1);
                    t.StartAt(DateTimeOffset.UtcNow.Add(interval))
                        .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NextWithRemainingCount));
                }
            });
        });
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<StartupReconcileRequester>();
        return services;
    }
}
