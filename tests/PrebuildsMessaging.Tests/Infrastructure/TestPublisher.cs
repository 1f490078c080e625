using System.Text.Json;
using System.Text;
using PrebuildsMessaging.Contracts;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// Publishes as a producer that is not MassTransit does: camelCase JSON with no envelope (or any bytes at all, as a
/// misbehaving one might), persistent, over a plain AMQP connection, with publisher confirms: a publish returns once
/// the broker has the message (on a cluster, once a quorum queue has it replicated), as a careful producer does.
/// </summary>
public static class TestPublisher
{
    public const string PresetsExchange = "PrebuildsMessaging.Contracts:PresetsChanged";

    /// <summary>PresetsChanged events, straight to their exchange.</summary>
    public static Task PresetsChangedAsync(string amqpUri, IEnumerable<Guid> organizationIds) =>
        PublishAsync(amqpUri, PresetsExchange, "", organizationIds.Select(organizationId => Json(new
        {
            organizationId,
            templateId = Guid.NewGuid(),
            templateVersionId = Guid.NewGuid(),
            occurredAt = DateTimeOffset.UtcNow,
        })));

    /// <summary>Setup commands, straight into the command queue (through the default exchange).</summary>
    public static Task EnsureCommandsAsync(string amqpUri, IEnumerable<Guid> organizationIds, Guid userId) =>
        PublishAsync(amqpUri, "", "prebuilds-ensure-org-setup", organizationIds.Select(organizationId => Json(new
        {
            organizationId,
            organizationName = "plain-json",
            userId,
            groupName = "coderprebuiltworkspaces",
            hasPrebuildUser = false,
            prebuildsGroupId = (Guid?)null,
            hasPrebuildUserInGroup = false,
            reconciliationId = Guid.NewGuid(),
        })));

    /// <summary>Any text to an exchange, with the content type and message id given.</summary>
    public static Task RawAsync(string amqpUri, string exchange, string body, string contentType = "application/json", string? messageId = null) =>
        PublishAsync(amqpUri, exchange, "", [(Encoding.UTF8.GetBytes(body), contentType, messageId)]);

    /// <summary>A channel on a plain AMQP connection of its own; with confirms, each publish awaits the broker's confirm.</summary>
    public static async Task<AmqpChannel> OpenChannelAsync(string amqpUri, bool confirms = false)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(amqpUri) }.CreateConnectionAsync();
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: confirms, publisherConfirmationTrackingEnabled: confirms);
        return new AmqpChannel(connection, await connection.CreateChannelAsync(options));
    }

    private static (byte[] Body, string ContentType, string? MessageId) Json(object message) =>
        (JsonSerializer.SerializeToUtf8Bytes(message), "application/json", null);

    private static async Task PublishAsync(string amqpUri, string exchange, string routingKey, IEnumerable<(byte[] Body, string ContentType, string? MessageId)> messages)
    {
        await using var amqp = await OpenChannelAsync(amqpUri, confirms: true);
        // Up to 200 publishes in flight, awaiting their confirms together: a burst arrives as a burst.
        foreach (var chunk in messages.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(message =>
            {
                var properties = new BasicProperties { ContentType = message.ContentType, MessageId = message.MessageId ?? Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
                return amqp.Channel.BasicPublishAsync(exchange, routingKey, false, properties, message.Body).AsTask();
            }));
        }
    }
}

/// <summary>A channel and the connection it lives on, disposed together.</summary>
public sealed record AmqpChannel(IConnection Connection, IChannel Channel) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
