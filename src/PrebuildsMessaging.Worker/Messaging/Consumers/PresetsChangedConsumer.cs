using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>A template version's presets changed: reconcile its organization.</summary>
public sealed class PresetsChangedConsumer(TimeProvider timeProvider) : IConsumer<PresetsChanged>
{
    public Task Consume(ConsumeContext<PresetsChanged> context) => context.Publish(
        ReconcileRequestedFactory.For(context.Message.OrganizationId, ReconcileSources.PresetsChanged, timeProvider, nameof(PresetsChanged)));
}
