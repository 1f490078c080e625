using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PrebuildsMessaging.Database.Migrations;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;
using Quartz;

namespace PrebuildsMessaging.Scheduling;

public static class SchedulingServiceCollectionExtensions
{
    /// <summary>Quartz's tables, for `migrate`: the clustered store only validates them.</summary>
    public static IServiceCollection AddQuartzSchema(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISchemaProvisioner, QuartzSchema>());
        return services;
    }

    /// <summary>
    /// The Quartz schedule that publishes full reconciliations, and the one at start-up. With the default
    /// Postgres store Quartz runs clustered, so N replicas fire once per interval between them.
    /// </summary>
    public static IServiceCollection AddPrebuildsSchedule(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ScheduleOptions>().Bind(configuration.GetSection(ScheduleOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScheduleOptions>, ScheduleOptionsValidator>();
        var schedule = configuration.GetSection(ScheduleOptions.SectionName).Get<ScheduleOptions>() ?? new ScheduleOptions();

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = "prebuilds-messaging";
                if (schedule.Store == ScheduleStore.Postgres)
                {
                    // Unique within the cluster, also for two workers in one process.
                    o.InstanceId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
                }
            });
            if (schedule.Store == ScheduleStore.Postgres)
            {
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(Database.ServiceConnectionString.From(configuration.GetConnectionString(PostgresOptions.ConnectionStringName) ?? ""));
                    store.ConfigureStore(o =>
                    {
                        o.TablePrefix = QuartzSchema.TablePrefix;
                        o.SchemaProvisioning = SchemaProvisioning.Validate; // `migrate` creates the tables
                        o.UseDbLocks = true; // row locks in qrtz_locks: one replica acquires each firing
                    });
                    store.UseSystemTextJsonSerializer();
                    store.UseClustering(c => c.CheckinInterval = TimeSpan.FromSeconds(10));
                });
            }

            q.AddJob<ReconcileScheduleJob>(j => j.WithIdentity(ReconcileScheduleJob.Key).StoreDurably());
            q.AddTrigger(t => ReconcileScheduleTrigger.Configure(t, schedule));
        });
        // Replicas share one stored trigger: one that starts later must not replace it (a replaced trigger
        // leaves two phase-shifted schedules firing the one row, twice per interval).
        services.Configure<QuartzOptions>(o => o.Scheduling.IgnoreDuplicates = true);
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<StoredScheduleSynchronizer>();
        services.AddHostedService<StartupReconcileRequester>();
        return services;
    }
}
