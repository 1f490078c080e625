using MassTransit;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>Step 1 of the flow: a template changed, so its organization is reconciled.</summary>
public sealed class TemplateChangedConsumer(ChangeEventRequests requests) : IConsumer<TemplateChanged>
{
    public Task Consume(ConsumeContext<TemplateChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return requests.RequestAsync(ReconciliationRequests.OrganizationOf(context.Message.OrganizationId, nameof(TemplateChanged)), ReconcileSources.TemplateChanged, context.CancellationToken);
    }
}

/// <summary>TemplateChanged events on prebuilds-template-changed, many at once; their requests leave through <see cref="ChangeEventRequests"/>, not an outbox.</summary>
public sealed class TemplateChangedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<TemplateChangedConsumer>(options, QueueNames.TemplateChanged, outbox: false, concurrentMessageLimit: EventConcurrency);
