using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Messaging;

/// <summary>
/// What every endpoint of the service has, in one place: its queue name, the queue arguments from
/// <see cref="QueueArguments"/>, the message size limit, exponential retry (never for bad input or a missing
/// prebuilds user), and MassTransit's in-memory outbox unless the endpoint sends its messages itself.
/// Each consumer's definition derives from it and adds its own settings (batching, concurrency).
/// </summary>
public abstract class PrebuildsEndpointDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly bool outbox;

    protected PrebuildsEndpointDefinition(IOptions<BusOptions> options, string queueName, bool outbox = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        Bus = options.Value;
        EndpointName = queueName;
        this.outbox = outbox;
    }

    protected BusOptions Bus { get; }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            foreach (var (key, value) in QueueArguments.For(Bus))
            {
                rabbit.SetQueueArgument(key, value);
            }
        }

        endpointConfigurator.UseConsumeFilter(typeof(MessageSizeFilter<>), context);
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Exponential(Bus.RetryLimit, Bus.RetryMinInterval, Bus.RetryMaxInterval, Bus.RetryMinInterval);
            r.Ignore<PrebuildsUserMissingException>();
            r.Ignore<InvalidMessageException>();
        });
        if (outbox)
        {
            // Messages the consumer sends or publishes leave only when it succeeds.
            endpointConfigurator.UseInMemoryOutbox(context);
        }
    }
}
