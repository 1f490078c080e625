using System.Text.Json;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>Publishes events as a producer that is not MassTransit does: camelCase JSON, no envelope, straight to the exchange.</summary>
public static class PlainJsonPublisher
{
    public static async Task PresetsChangedAsync(string amqpUri, IEnumerable<Guid> organizationIds)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var organizationId in organizationIds)
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                organizationId,
                templateId = Guid.NewGuid(),
                templateVersionId = Guid.NewGuid(),
                occurredAt = DateTimeOffset.UtcNow,
            });
            var properties = new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync("PrebuildsMessaging.Contracts:PresetsChanged", "", false, properties, body);
        }
    }

    /// <summary>Setup commands as plain JSON straight into the command queue (through the default exchange).</summary>
    public static async Task EnsureCommandsAsync(string amqpUri, IEnumerable<Guid> organizationIds, Guid userId)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var organizationId in organizationIds)
        {
            var body = JsonSerializer.SerializeToUtf8Bytes(new
            {
                organizationId,
                organizationName = "plain-json",
                userId,
                groupName = "coderprebuiltworkspaces",
                hasPrebuildUser = false,
                prebuildsGroupId = (Guid?)null,
                hasPrebuildUserInGroup = false,
                reconciliationId = Guid.NewGuid(),
            });
            var properties = new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync("", "prebuilds-ensure-org-setup", false, properties, body);
        }
    }
}
