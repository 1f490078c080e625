using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>PresetsChanged events, one at a time each, on prebuilds-presets-changed.</summary>
public sealed class PresetsChangedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<PresetsChangedConsumer>(options, QueueNames.PresetsChanged);
