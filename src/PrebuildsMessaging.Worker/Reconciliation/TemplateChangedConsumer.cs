using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>Step 1 of the flow: a template changed, so its organization is reconciled.</summary>
public sealed class TemplateChangedConsumer(TimeProvider timeProvider) : IConsumer<TemplateChanged>
{
    public Task Consume(ConsumeContext<TemplateChanged> context) => context.Publish(
        ReconciliationRequests.ForEvent(context.Message.OrganizationId, ReconcileSources.TemplateChanged, timeProvider, nameof(TemplateChanged)));
}

/// <summary>TemplateChanged events, one at a time each, on prebuilds-template-changed.</summary>
public sealed class TemplateChangedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<TemplateChangedConsumer>(options, QueueNames.TemplateChanged);
