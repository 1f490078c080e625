using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>
/// EnsureOrgPrebuildSetup is consumed in batches (Bus:EnsureBatchMessageLimit, Bus:EnsureBatchTimeLimit), several
/// at once (Bus:EnsureConcurrency). A command re-sent alone after its organization failed in a batch
/// (header <see cref="EnsureOrgPrebuildSetupConsumer.IsolatedHeader"/>) forms a batch of its own, so that its
/// retries and its error queue entry concern it alone.
/// </summary>
public sealed class EnsureOrgPrebuildSetupConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<EnsureOrgPrebuildSetupConsumer>(options, QueueNames.EnsureOrgSetup)
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<EnsureOrgPrebuildSetupConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(Bus.EnsureBatchMessageLimit)
            .SetTimeLimit(Bus.EnsureBatchTimeLimit)
            .SetConcurrencyLimit(Bus.EnsureConcurrency)
            .GroupBy<EnsureOrgPrebuildSetup, Guid>(c =>
                c.Headers.TryGetHeader(EnsureOrgPrebuildSetupConsumer.IsolatedHeader, out _) ? c.MessageId : null));
    }
}
