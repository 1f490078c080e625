using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>A template changed: reconcile its organization.</summary>
public sealed class TemplateChangedConsumer(TimeProvider timeProvider) : IConsumer<TemplateChanged>
{
    public Task Consume(ConsumeContext<TemplateChanged> context) => context.Publish(
        ReconcileRequestedFactory.For(context.Message.OrganizationId, ReconcileSources.TemplateChanged, timeProvider, nameof(TemplateChanged)));
}
