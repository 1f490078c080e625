using System.Text.Json;
using Microsoft.Extensions.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Cli;

/// <summary>
/// <c>reconcile</c> without <c>--wait</c>: one ReconcileRequested as plain JSON (as any producer outside MassTransit
/// publishes it) on a plain AMQP connection, returned once the broker confirms it. No bus is started for one message:
/// that is most of what a cold command would spend.
/// </summary>
internal static class ReconcileRequestPublisher
{
    /// <summary>The fanout exchange MassTransit declares for the message type, which the reconcile queue is bound to.</summary>
    public const string Exchange = "PrebuildsMessaging.Contracts:ReconcileRequested";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task PublishAsync(IConfiguration configuration, ReconcileRequested request, CancellationToken cancellationToken)
    {
        await using var amqp = await AmqpConnections.OpenAsync(RabbitMqConnection.FromConfiguration(configuration), "prebuilds-messaging reconcile", cancellationToken)
            .ConfigureAwait(false);
        await using var channel = await amqp.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);
        // As MassTransit declares it (the same arguments, so either may come first).
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        var properties = new BasicProperties
        {
            ContentType = "application/json",
            MessageId = request.RequestId.ToString(),
            DeliveryMode = DeliveryModes.Persistent,
        };
        await channel.BasicPublishAsync(Exchange, "", false, properties, JsonSerializer.SerializeToUtf8Bytes(request, Json), cancellationToken).ConfigureAwait(false);
    }
}
