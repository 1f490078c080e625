using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Metrics;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Core.Database;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Worker.ChangeFeed;
using PrebuildsMessaging.Worker.Ensure;
using PrebuildsMessaging.Worker.Memory;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Pause;
using PrebuildsMessaging.Worker.Reconciliation;
using PrebuildsMessaging.Worker.Schedule;
using Quartz;

namespace PrebuildsMessaging.Worker;

/// <summary>Everything the worker layer registers, in one place.</summary>
public static class WorkerExtensions
{
    /// <summary>
    /// The running worker, on top of the core: the bus with its consumers (step 1 to 3 of the flow), the queues it
    /// declares at start, the schedule, Coder's pause watcher, the change feed, and health and metrics.
    /// </summary>
    public static IServiceCollection AddPrebuildsWorker(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        // Coder's pause: the watcher the consumers report to, which also looks for the resume. Started before the bus,
        // so that a missing pause function stops start-up before any message is taken (and none waits in a retry).
        services.AddSingleton<CoderPauseWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<CoderPauseWatcher>());

        services.AddPrebuildsBus(configuration, withConsumers: true);

        // The schedule: a Quartz job that publishes full reconciliations, and the one at start-up. With the default
        // Postgres store Quartz runs clustered, so N replicas fire once per interval between them.
        services.AddOptions<ScheduleOptions>().Bind(configuration.GetSection(ScheduleOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ScheduleOptions>, ScheduleOptionsValidator>();
        var schedule = configuration.GetSection(ScheduleOptions.SectionName).Get<ScheduleOptions>() ?? new ScheduleOptions();
        services.AddOptions<MemoryOptions>().Bind(configuration.GetSection(MemoryOptions.SectionName));
        services.AddQuartz(q => ConfigureQuartz(q, schedule, configuration));
        // Replicas share one stored trigger: one that starts later must not replace it (a replaced trigger
        // leaves two phase-shifted schedules firing the one row, twice per interval).
        services.Configure<QuartzOptions>(o => o.Scheduling.IgnoreDuplicates = true);
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<StoredScheduleSynchronizer>();
        services.AddHostedService<StartupReconciliation>();

        // The change feed (ChangeFeed:Enabled): its reader, its state, and the slot's lag.
        services.AddSingleton<ChangeFeedStatus>();
        services.AddHostedService<ChangeFeedReader>();
        services.AddHostedService<ChangeFeedLagMonitor>();

        // Health and metrics: the service's meters (and MassTransit's, and .NET's own System.Runtime: GC heap, memory,
        // CPU, thread pool), the PostgreSQL check, the recommended
        // index's watch, and the optional listener that serves them.
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PrebuildsMetrics.MeterName, "MassTransit", "System.Runtime")
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = PrebuildsMetrics.CardinalityLimit })
            .AddPrometheusExporter());
        services.AddHostedService<RecommendedIndexMonitor>();
        services.AddHostedService<ObservabilityServer>();
        return services;
    }

    /// <summary>The bus alone, without consumers: what the `reconcile` command publishes with.</summary>
    public static IServiceCollection AddPrebuildsBusClient(this IServiceCollection services, IConfiguration configuration) =>
        services.AddPrebuildsBus(configuration, withConsumers: false);

    /// <summary>Quartz's tables, for `migrate`: the clustered store only validates them.</summary>
    public static IServiceCollection AddQuartzSchema(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISchemaProvisioner, QuartzSchema>());
        return services;
    }

    /// <summary>The consumers, each with its endpoint's definition (queue, arguments, retry, outbox, batching). Shared by the worker and the test harness.</summary>
    public static IBusRegistrationConfigurator AddPrebuildsConsumers(this IBusRegistrationConfigurator x)
    {
        ArgumentNullException.ThrowIfNull(x);
        x.TryAddSingleton<ChangeEventRequests>(); // the requests of both change events' consumers, coalesced
        x.AddConsumer<TemplateChangedConsumer, TemplateChangedConsumerDefinition>();
        x.AddConsumer<PresetsChangedConsumer, PresetsChangedConsumerDefinition>();
        x.AddConsumer<ReconcileRequestedConsumer, ReconcileRequestedConsumerDefinition>();
        x.TryAddSingleton<ReconciliationPass>(); // one pass at a time per worker, for the batches its requests join
        x.TryAddSingleton<ReconciliationBatches>();
        x.AddConsumer<EnsureOrgPrebuildSetupConsumer, EnsureOrgPrebuildSetupConsumerDefinition>();
        return x;
    }

    /// <summary>MassTransit on RabbitMQ (or in memory), with the service's consumers (the worker) or without them (a CLI client).</summary>
    private static IServiceCollection AddPrebuildsBus(this IServiceCollection services, IConfiguration configuration, bool withConsumers)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMetrics();
        services.TryAddSingleton<PrebuildsMetrics>();
        services.AddOptions<BusOptions>().Bind(configuration.GetSection(BusOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BusOptions>, BusOptionsValidator>();
        var transport = configuration.GetSection(BusOptions.SectionName).Get<BusOptions>()?.Transport ?? BusTransport.RabbitMq;
        if (transport == BusTransport.RabbitMq)
        {
            services.AddSingleton(_ => RabbitMqConnection.FromConfiguration(configuration));
            if (withConsumers)
            {
                // Registered before MassTransit's own hosted service, so the queues exist, or start-up stops, before the bus starts.
                services.AddHostedService<ReceiveQueueDeclarer>();
            }
        }

        services.AddMassTransit(x =>
        {
            if (withConsumers)
            {
                x.AddPrebuildsConsumers();
                x.AddReceiveEndpointObserver<EndpointStateLogger>();
            }

            if (transport == BusTransport.InMemory)
            {
                x.UsingInMemory((context, cfg) =>
                {
                    cfg.UseCircuitBreaker(context);
                    cfg.ConfigureEndpoints(context);
                });
            }
            else
            {
                x.UsingRabbitMq((context, cfg) =>
                {
                    var connection = context.GetRequiredService<RabbitMqConnection>();
                    cfg.Host(connection.Host, connection.Port, connection.VirtualHost, h =>
                    {
                        h.Username(connection.Username);
                        h.Password(connection.Password);
                        if (connection.UseTls)
                        {
                            h.UseSsl(s => s.ServerName = connection.Host);
                        }

                        if (connection.ClusterNodes.Count > 0)
                        {
                            // MassTransit connects to any node that answers, and to another one when its node goes away.
                            h.UseCluster(c =>
                            {
                                foreach (var node in connection.ClusterNodes)
                                {
                                    c.Node(node.ToString());
                                }
                            });
                        }
                    });
                    // MassTransit declares _error and _skipped queues with the receive queue's arguments: theirs are the queue type only.
                    cfg.SendTopology.ConfigureErrorSettings = settings => RemoveReceiveQueueOnlyArguments(settings);
                    cfg.SendTopology.ConfigureDeadLetterSettings = settings => RemoveReceiveQueueOnlyArguments(settings);
                    // Plain JSON from producers that are not MassTransit (e.g. Coder's Go server), beside the envelope.
                    cfg.UseRawJsonDeserializer(isDefault: false);
                    cfg.UseCircuitBreaker(context);
                    cfg.ConfigureEndpoints(context);
                });
            }
        });
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            o.WaitUntilStarted = true;
            o.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }

    private static void ConfigureQuartz(IQuartzBuilder q, ScheduleOptions schedule, IConfiguration configuration)
    {
        // At idle, Quartz's clustered store is the worker's only chatter on Coder's database: keep it under two
        // statements a minute. The scheduler thread sleeps up to the next firing (at most 10 min) instead of polling
        // every 30 s: the replica that holds the next firing waits for it, and the others, which find it taken, look
        // again every 10 min; a firing another replica let go is taken at the next look. A replica checks in, and
        // looks for misfires, every 10 min: a replica that died holding the next firing has it taken over by another
        // at that one's first check-in after the dead one's was due (at most about 20 min late; the change events and
        // the change feed do not wait for it); a late firing still runs at once (FireAndProceed).
        var sleep = TimeSpan.FromMinutes(10);
        var bookkeeping = TimeSpan.FromMinutes(10);
        q.ConfigureScheduler(o =>
        {
            o.IdleWaitTime = sleep;
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
                // The driver given as its factory, not by type name: nothing to resolve by reflection, trimmed or not.
                store.UsePostgres(NpgsqlFactory.Instance, ServiceConnectionString.From(configuration.GetConnectionString(PostgresOptions.ConnectionStringName) ?? ""));
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = QuartzSchema.TablePrefix;
                    o.SchemaProvisioning = SchemaProvisioning.Validate; // `migrate` creates the tables
                    o.UseDbLocks = true; // row locks in qrtz_locks: one replica acquires each firing
                    o.MisfireHandlerFrequency = bookkeeping;
                });
                store.UseSystemTextJsonSerializer();
                store.UseClustering(c =>
                {
                    c.CheckinInterval = bookkeeping;
                    c.CheckinMisfireThreshold = TimeSpan.FromSeconds(30);
                });
            });
        }

        // The scheduler starts after the host has started: then the worker releases the pages only start-up touched.
        q.AddSchedulerListener<StartupPageRelease>();
        q.AddJob<ReconciliationScheduleJob>(j => j.WithIdentity(ReconciliationScheduleJob.Key).StoreDurably());
        q.AddTrigger(t => ReconciliationScheduleTrigger.Configure(t, schedule));
    }

    private static void RemoveReceiveQueueOnlyArguments(IRabbitMqQueueBindingConfigurator settings)
    {
        foreach (var argument in QueueArguments.ReceiveQueueOnly)
        {
            settings.SetQueueArgument(argument, null);
        }
    }

    /// <summary>
    /// MassTransit's kill switch on every endpoint: when too many messages fail (e.g. PostgreSQL is down) the
    /// endpoint stops consuming instead of spinning through retries, and tries again after a while. Bad input
    /// does not count: a burst of poison must not stop good messages.
    /// </summary>
    private static void UseCircuitBreaker(this IBusFactoryConfigurator cfg, IBusRegistrationContext context)
    {
        var bus = context.GetRequiredService<IOptions<BusOptions>>().Value;
        cfg.UseKillSwitch(k => k
            .SetActivationThreshold(bus.CircuitBreakerActivationThreshold)
            .SetTripThreshold(bus.CircuitBreakerTripThreshold)
            .SetTrackingPeriod(TimeSpan.FromMinutes(1))
            .SetRestartTimeout(bus.CircuitBreakerRestartTimeout)
            .SetExceptionFilter(f =>
            {
                f.Ignore<InvalidMessageException>();
                f.Ignore<PrebuildsUserMissingException>();
                f.Ignore<System.Text.Json.JsonException>();
                f.Ignore<FormatException>();
            }));
    }
}
