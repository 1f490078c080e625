using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>
/// Step 2 of the flow. Each ReconcileRequested joins a batch (<see cref="ReconciliationBatches"/>), whose pass
/// (<see cref="ReconciliationPass"/>) runs one status query for all of its requests. The consume ends when the
/// request has been answered; a failed pass fails it, and it is retried like any message.
/// </summary>
public sealed class ReconcileRequestedConsumer(ReconciliationBatches batches) : IConsumer<ReconcileRequested>
{
    public Task Consume(ConsumeContext<ReconcileRequested> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return batches.JoinAsync(context.Message, context.CancellationToken);
    }
}

/// <summary>
/// ReconcileRequested is consumed one message at a time, and as many wait for their batch at once as a batch holds
/// and one more batch besides (Bus:ReconcileBatchMessageLimit): the broker lets the worker hold them unacknowledged.
/// A pass sends its commands itself, in chunks, once its status read has succeeded: an outbox would hold them all.
/// </summary>
public sealed class ReconcileRequestedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<ReconcileRequestedConsumer>(options, QueueNames.ReconcileRequested, outbox: false)
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReconcileRequestedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        // A batch can only be as large as what the broker lets the worker hold unacknowledged: the running batch's
        // requests and the next one's wait at once.
        var held = (2 * Bus.ReconcileBatchMessageLimit) + 10;
        endpointConfigurator.ConcurrentMessageLimit = held;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = held;
        }
    }
}
