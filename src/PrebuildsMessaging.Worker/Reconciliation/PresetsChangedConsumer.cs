using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>Step 1 of the flow: a template version's presets changed, so its organization is reconciled.</summary>
public sealed class PresetsChangedConsumer(TimeProvider timeProvider) : IConsumer<PresetsChanged>
{
    public Task Consume(ConsumeContext<PresetsChanged> context) => context.Publish(
        ReconciliationRequests.ForEvent(context.Message.OrganizationId, ReconcileSources.PresetsChanged, timeProvider, nameof(PresetsChanged)));
}

/// <summary>PresetsChanged events, one at a time each, on prebuilds-presets-changed.</summary>
public sealed class PresetsChangedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<PresetsChangedConsumer>(options, QueueNames.PresetsChanged);
