using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Messaging.Consumers;

namespace PrebuildsMessaging.Messaging;

/// <summary>
/// ReconcileRequested is consumed in batches, one batch at a time, so a burst costs a handful of status queries. A
/// batch closes after a quiet period (Bus:ReconcileBatchTimeLimit since the last request) or when full
/// (Bus:ReconcileBatchMessageLimit): a lone request runs almost at once, a burst waits for its end.
/// </summary>
public sealed class ReconcileRequestedConsumerDefinition : ConsumerDefinition<ReconcileRequestedConsumer>
{
    private readonly BusOptions bus;

    public ReconcileRequestedConsumerDefinition(IOptions<BusOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bus = options.Value;
        EndpointName = QueueNames.Reconcile;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReconcileRequestedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            // A batch can only be as large as what the broker lets us hold unacknowledged.
            rabbit.PrefetchCount = bus.ReconcileBatchMessageLimit + 10;
        }

        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(bus.ReconcileBatchMessageLimit)
            .SetTimeLimit(bus.ReconcileBatchTimeLimit)
            .SetTimeLimitStart(BatchTimeLimitStart.FromLast)
            .SetConcurrencyLimit(1));
    }
}
