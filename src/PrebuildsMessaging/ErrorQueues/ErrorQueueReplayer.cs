using PrebuildsMessaging.Worker.Messaging;
using RabbitMQ.Client.Exceptions;
using RabbitMQ.Client;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>
/// Moves messages from _error/_skipped queues back to the queue they failed in. Each message keeps its body,
/// message id, correlation id and headers, less MassTransit's fault headers. It is published with a
/// publisher confirm, and acknowledged on the error queue only after that confirm: a crash mid-replay can
/// duplicate a message (the handlers are idempotent) but never lose one.
/// </summary>
public sealed class ErrorQueueReplayer(RabbitMqConnection connection)
{
    private static readonly string[] DroppedHeaderPrefixes = ["MT-Fault-", "MT-Reason", "MT-Host-", "x-dotnet-pub-seq-no"];

    public async Task<ReplaySummary> ReplayAsync(IReadOnlyList<ErrorQueueInfo> queues, int? limit, IProgress<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(progress);
        await using var amqp = await AmqpConnections.OpenAsync(connection, "prebuilds-messaging replay", cancellationToken).ConfigureAwait(false);
        await using var source = await amqp.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var target = await amqp.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);

        int moved = 0, skipped = 0, failed = 0;
        foreach (var queue in queues)
        {
            if (!await QueueExistsAsync(amqp, queue.SourceQueue, cancellationToken).ConfigureAwait(false))
            {
                skipped += (int)Math.Min(queue.Messages, int.MaxValue);
                progress.Report($"{queue.Name}: skipped, its source queue {queue.SourceQueue} does not exist");
                continue;
            }

            var fromThisQueue = 0;
            while (limit is null || moved + failed < limit)
            {
                var message = await source.BasicGetAsync(queue.Name, autoAck: false, cancellationToken).ConfigureAwait(false);
                if (message is null)
                {
                    break;
                }

                try
                {
                    await target.BasicPublishAsync("", queue.SourceQueue, mandatory: true, CopyWithoutFaultHeaders(message.BasicProperties),
                        message.Body, cancellationToken).ConfigureAwait(false);
                    await source.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                    moved++;
                    fromThisQueue++;
                }
                catch (PublishException)
                {
                    // Not confirmed: leave it in the error queue, where it was.
                    await source.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, cancellationToken).ConfigureAwait(false);
                    failed++;
                    break;
                }

                if (moved % 100 == 0)
                {
                    progress.Report($"{moved} moved so far ({queue.Name} → {queue.SourceQueue})");
                }
            }

            progress.Report($"{queue.Name} → {queue.SourceQueue}: {fromThisQueue} moved");
        }

        return new ReplaySummary(moved, skipped, failed);
    }

    private static BasicProperties CopyWithoutFaultHeaders(IReadOnlyBasicProperties original)
    {
        var copy = new BasicProperties(original)
        {
            DeliveryMode = DeliveryModes.Persistent,
        };
        if (original.Headers is { } headers)
        {
            copy.Headers = headers
                .Where(h => !DroppedHeaderPrefixes.Any(prefix => h.Key.StartsWith(prefix, StringComparison.Ordinal)))
                .ToDictionary(h => h.Key, h => h.Value);
        }

        return copy;
    }

    private static async Task<bool> QueueExistsAsync(IConnection amqp, string queue, CancellationToken cancellationToken)
    {
        // A failed passive declare closes its channel, so it gets one of its own.
        await using var probe = await amqp.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await probe.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationInterruptedException)
        {
            return false;
        }
    }
}
