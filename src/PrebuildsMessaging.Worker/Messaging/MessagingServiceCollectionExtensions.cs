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
            services.AddSingleton(_ => RabbitMqConnection.Parse(configuration.GetConnectionString(RabbitMqConnection.ConnectionStringName)));
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
                    });
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

    /// <summary>The consumers and their endpoints: retry, outbox and queue type. Shared by the worker and the test harness.</summary>
    public static IBusRegistrationConfigurator AddPrebuildsConsumers(this IBusRegistrationConfigurator x)
    {
        ArgumentNullException.ThrowIfNull(x);
        x.AddConsumer<TemplateChangedConsumer>().Endpoint(e => e.Name = QueueNames.TemplateChanged);
        x.AddConsumer<PresetsChangedConsumer>().Endpoint(e => e.Name = QueueNames.PresetsChanged);
        x.AddConsumer<ReconcileRequestedConsumer, ReconcileRequestedConsumerDefinition>();
        x.AddConsumer<EnsureOrgPrebuildSetupConsumer, EnsureOrgPrebuildSetupConsumerDefinition>();
        x.AddConfigureEndpointsCallback((context, name, endpoint) =>
        {
            var bus = context.GetRequiredService<IOptions<BusOptions>>().Value;
            if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                foreach (var (key, value) in QueueArguments.For(bus))
                {
                    rabbit.SetQueueArgument(key, value);
                }
            }

            endpoint.UseConsumeFilter(typeof(MessageSizeFilter<>), context);
            endpoint.UseMessageRetry(r =>
            {
                r.Exponential(bus.RetryLimit, bus.RetryMinInterval, bus.RetryMaxInterval, bus.RetryMinInterval);
                r.Ignore<PrebuildsUserMissingException>();
                r.Ignore<InvalidMessageException>();
            });
            // Messages a consumer sends or publishes leave only when it succeeds. The reconcile consumer sends its
            // commands itself, in chunks, once its status read has succeeded: an outbox would hold them all.
            if (name != QueueNames.Reconcile)
            {
                endpoint.UseInMemoryOutbox(context);
            }
        });
        return x;
    }
}
