using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>A template version's presets changed: reconcile its organization.</summary>
public sealed class PresetsChangedConsumer(TimeProvider timeProvider) : IConsumer<PresetsChanged>
{
    public Task Consume(ConsumeContext<PresetsChanged> context)
    {
        if (context.Message.OrganizationId == Guid.Empty)
        {
            throw new InvalidMessageException("PresetsChanged has no organizationId: it cannot be scoped to an organization.");
        }

        return context.Publish(new ReconcileRequested
        {
            RequestId = NewId.NextGuid(),
            OrganizationIds = [context.Message.OrganizationId],
            Source = ReconcileSources.PresetsChanged,
            RequestedAt = timeProvider.GetUtcNow(),
        });
    }
}
