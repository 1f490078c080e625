using System.Text.Json;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>Publishes messages as a producer that is not MassTransit does: camelCase JSON, no envelope, persistent.</summary>
public static class PlainJsonPublisher
{
    /// <summary>PresetsChanged events, straight to their exchange.</summary>
    public static Task PresetsChangedAsync(string amqpUri, IEnumerable<Guid> organizationIds) =>
        PublishAsync(amqpUri, "PrebuildsMessaging.Contracts:PresetsChanged", "", organizationIds.Select(organizationId => (object)new
        {
            organizationId,
            templateId = Guid.NewGuid(),
            templateVersionId = Guid.NewGuid(),
            occurredAt = DateTimeOffset.UtcNow,
        }));

    /// <summary>Setup commands, straight into the command queue (through the default exchange).</summary>
    public static Task EnsureCommandsAsync(string amqpUri, IEnumerable<Guid> organizationIds, Guid userId) =>
        PublishAsync(amqpUri, "", "prebuilds-ensure-org-setup", organizationIds.Select(organizationId => (object)new
        {
            organizationId,
            organizationName = "plain-json",
            userId,
            groupName = "coderprebuiltworkspaces",
            hasPrebuildUser = false,
            prebuildsGroupId = (Guid?)null,
            hasPrebuildUserInGroup = false,
            reconciliationId = Guid.NewGuid(),
        }));

    private static async Task PublishAsync(string amqpUri, string exchange, string routingKey, IEnumerable<object> messages)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var message in messages)
        {
            var properties = new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync(exchange, routingKey, false, properties, JsonSerializer.SerializeToUtf8Bytes(message));
        }
    }
}
