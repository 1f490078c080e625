using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Messaging.Consumers;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Messaging;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>MassTransit on RabbitMQ (or in memory), with the service's consumers (the worker) or without them (a CLI client).</summary>
    public static IServiceCollection AddPrebuildsMessaging(this IServiceCollection services, IConfiguration configuration, bool withConsumers = true)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddPrebuildsMetrics();
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

    /// <summary>The consumers, each with its endpoint's definition (queue, arguments, retry, outbox, batching). Shared by the worker and the test harness.</summary>
    public static IBusRegistrationConfigurator AddPrebuildsConsumers(this IBusRegistrationConfigurator x)
    {
        ArgumentNullException.ThrowIfNull(x);
        x.AddConsumer<TemplateChangedConsumer, TemplateChangedConsumerDefinition>();
        x.AddConsumer<PresetsChangedConsumer, PresetsChangedConsumerDefinition>();
        x.AddConsumer<ReconcileRequestedConsumer, ReconcileRequestedConsumerDefinition>();
        x.AddConsumer<EnsureOrgPrebuildSetupConsumer, EnsureOrgPrebuildSetupConsumerDefinition>();
        return x;
    }
}
