using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Core.Ensure;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// What every endpoint of the service has, in one place: its queue name, the queue arguments from
/// <see cref="QueueArguments"/>, a readable reason for a body that is not its message, the message size limit, exponential retry (never for bad input or a missing
/// prebuilds user), and MassTransit's in-memory outbox unless the endpoint sends its messages itself.
/// Each consumer's definition derives from it and adds its own settings (batching, concurrency).
/// </summary>
public abstract class PrebuildsEndpointDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    private readonly bool outbox;
    private readonly string queueName;

    /// <summary>
    /// Change events are only translated into requests, and each waits for the request that carries it: a burst is
    /// held at once, so that it becomes one request or two.
    /// </summary>
    protected const int EventConcurrency = 1000;

    protected PrebuildsEndpointDefinition(IOptions<BusOptions> options, string queueName, bool outbox = true, int? concurrentMessageLimit = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Bus = options.Value;
        ConcurrentMessageLimit = concurrentMessageLimit;
        EndpointName = queueName;
        this.queueName = queueName;
        this.outbox = outbox;
    }

    protected BusOptions Bus { get; }

    /// <summary>The filter that reads the consumer's message type first (the T of IConsumer&lt;T&gt;, or of Batch&lt;T&gt;).</summary>
    private static IFilter<ConsumeContext> MessageBody()
    {
        var consumed = typeof(TConsumer).GetInterfaces()
            .First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .GetGenericArguments()[0];
        var message = consumed.IsGenericType && consumed.GetGenericTypeDefinition() == typeof(Batch<>) ? consumed.GetGenericArguments()[0] : consumed;
        return (IFilter<ConsumeContext>)Activator.CreateInstance(typeof(MessageBodyFilter<>).MakeGenericType(message))!;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            foreach (var (key, value) in QueueArguments.ForReceiveQueue(Bus, queueName))
            {
                rabbit.SetQueueArgument(key, value);
            }
        }

        endpointConfigurator.AddPrePipeSpecification(new MassTransit.Configuration.FilterPipeSpecification<ConsumeContext>(MessageBody())); // before the message is read by type
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
