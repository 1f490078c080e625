using System.Text;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>Publishes any bytes to an exchange, as a misbehaving producer might.</summary>
public static class RawPublisher
{
    public static async Task PublishAsync(string amqpUri, string exchange, string body, string contentType = "application/json", string? messageId = null)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { ContentType = contentType, MessageId = messageId ?? Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
        await channel.BasicPublishAsync(exchange, "", false, properties, Encoding.UTF8.GetBytes(body));
    }
}
