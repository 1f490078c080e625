using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>TemplateChanged events, one at a time each, on prebuilds-template-changed.</summary>
public sealed class TemplateChangedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<TemplateChangedConsumer>(options, QueueNames.TemplateChanged);
