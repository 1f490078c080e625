using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Messaging.Consumers;

namespace PrebuildsMessaging.Messaging;

/// <summary>
/// EnsureOrgPrebuildSetup is consumed in batches (Bus:EnsureBatchMessageLimit, Bus:EnsureBatchTimeLimit), several
/// at once (Bus:EnsureConcurrency). A command re-sent alone after its organization failed in a batch
/// (header <see cref="EnsureOrgPrebuildSetupConsumer.IsolatedHeader"/>) forms a batch of its own, so that its
/// retries and its error queue entry concern it alone.
/// </summary>
public sealed class EnsureOrgPrebuildSetupConsumerDefinition : ConsumerDefinition<EnsureOrgPrebuildSetupConsumer>
{
    private readonly BusOptions bus;

    public EnsureOrgPrebuildSetupConsumerDefinition(IOptions<BusOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bus = options.Value;
        EndpointName = QueueNames.EnsureOrgSetup;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<EnsureOrgPrebuildSetupConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(bus.EnsureBatchMessageLimit)
            .SetTimeLimit(bus.EnsureBatchTimeLimit)
            .SetConcurrencyLimit(bus.EnsureConcurrency)
            .GroupBy<EnsureOrgPrebuildSetup, Guid>(c =>
                c.Headers.TryGetHeader(EnsureOrgPrebuildSetupConsumer.IsolatedHeader, out _) ? c.MessageId : null));
    }
}
