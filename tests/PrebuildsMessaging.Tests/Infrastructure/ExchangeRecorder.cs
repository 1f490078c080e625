using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// Records every message published to one exchange from now on, through a server-named queue of its own
/// (exclusive, deleted with the connection). Bodies are kept as JSON; MassTransit's envelope is unwrapped.
/// </summary>
public sealed class ExchangeRecorder : IAsyncDisposable
{
    private readonly AmqpChannel amqp;
    private readonly List<JsonElement> messages = [];

    private ExchangeRecorder(AmqpChannel amqp) => this.amqp = amqp;

    public IReadOnlyList<JsonElement> Messages
    {
        get
        {
            lock (messages)
            {
                return messages.ToList();
            }
        }
    }

    /// <summary>
    /// Binds to the exchange, which must exist (a worker declares the exchanges of what it consumes when it starts),
    /// or with <paramref name="declare"/> is declared as MassTransit declares a message type's exchange (fanout, durable).
    /// </summary>
    public static async Task<ExchangeRecorder> StartAsync(string amqpUri, string exchange, bool declare = false)
    {
        var recorder = new ExchangeRecorder(await TestPublisher.OpenChannelAsync(amqpUri));
        var channel = recorder.amqp.Channel;
        if (declare)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
        }

        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, exchange, "");
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            using var body = JsonDocument.Parse(delivery.Body);
            var message = body.RootElement.TryGetProperty("message", out var inner) ? inner : body.RootElement;
            lock (recorder.messages)
            {
                recorder.messages.Add(message.Clone());
            }

            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return recorder;
    }

    public ValueTask DisposeAsync() => amqp.DisposeAsync();
}
