using MassTransit;
using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>
/// ReconcileRequested is consumed in batches, one batch at a time, so a burst costs a handful of status queries. A
/// batch closes after a quiet period (Bus:ReconcileBatchTimeLimit since the last request) or when full
/// (Bus:ReconcileBatchMessageLimit): a lone request runs almost at once, a burst waits for its end.
/// It sends its commands itself, in chunks, once its status read has succeeded: an outbox would hold them all.
/// </summary>
public sealed class ReconcileRequestedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<ReconcileRequestedConsumer>(options, QueueNames.Reconcile, outbox: false)
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReconcileRequestedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            // A batch can only be as large as what the broker lets us hold unacknowledged.
            rabbit.PrefetchCount = Bus.ReconcileBatchMessageLimit + 10;
        }

        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(Bus.ReconcileBatchMessageLimit)
            .SetTimeLimit(Bus.ReconcileBatchTimeLimit)
            .SetTimeLimitStart(BatchTimeLimitStart.FromLast)
            .SetConcurrencyLimit(1));
    }
}
