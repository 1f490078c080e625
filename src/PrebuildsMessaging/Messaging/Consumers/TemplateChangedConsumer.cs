using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>A template changed: reconcile its organization.</summary>
public sealed class TemplateChangedConsumer(TimeProvider timeProvider) : IConsumer<TemplateChanged>
{
    public Task Consume(ConsumeContext<TemplateChanged> context)
    {
        if (context.Message.OrganizationId == Guid.Empty)
        {
            throw new InvalidMessageException("TemplateChanged has no organizationId: it cannot be scoped to an organization.");
        }

        return context.Publish(new ReconcileRequested
        {
            RequestId = NewId.NextGuid(),
            OrganizationIds = [context.Message.OrganizationId],
            Source = ReconcileSources.TemplateChanged,
            RequestedAt = timeProvider.GetUtcNow(),
        });
    }
}
