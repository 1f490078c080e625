using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>Step 1 of the flow: a template version's presets changed, so its organization is reconciled.</summary>
public sealed class PresetsChangedConsumer(ChangeEventRequests requests) : IConsumer<PresetsChanged>
{
    public Task Consume(ConsumeContext<PresetsChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return requests.RequestAsync(ReconciliationRequests.OrganizationOf(context.Message.OrganizationId, nameof(PresetsChanged)), ReconcileSources.PresetsChanged, context.CancellationToken);
    }
}

/// <summary>PresetsChanged events on prebuilds-presets-changed, many at once; their requests leave through <see cref="ChangeEventRequests"/>, not an outbox.</summary>
public sealed class PresetsChangedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<PresetsChangedConsumer>(options, QueueNames.PresetsChanged, outbox: false, concurrentMessageLimit: EventConcurrency);
