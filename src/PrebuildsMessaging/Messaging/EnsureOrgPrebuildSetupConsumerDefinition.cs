using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Messaging.Consumers;

namespace PrebuildsMessaging.Messaging;

/// <summary>Ensures run with a configurable concurrency.</summary>
public sealed class EnsureOrgPrebuildSetupConsumerDefinition : ConsumerDefinition<EnsureOrgPrebuildSetupConsumer>
{
    public EnsureOrgPrebuildSetupConsumerDefinition(IOptions<BusOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        EndpointName = QueueNames.EnsureOrgSetup;
        ConcurrentMessageLimit = options.Value.EnsureConcurrency;
    }
}
