using PrebuildsMessaging.Worker.Messaging;
using RabbitMQ.Client.Exceptions;
using RabbitMQ.Client;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>
/// The _error and _skipped queues of the virtual host: names from the management API, message counts read
/// live over AMQP (the management API's counts are statistics that trail by seconds).
/// </summary>
public sealed class ErrorQueueDirectory(RabbitMqConnection connection, RabbitMqManagementClient management)
{
    public async Task<IReadOnlyList<ErrorQueueInfo>> ListAsync(CancellationToken cancellationToken)
    {
        var names = await management.ErrorQueueNamesAsync(cancellationToken).ConfigureAwait(false);
        if (names.Count == 0)
        {
            return [];
        }

        await using var amqp = await AmqpConnections.OpenAsync(connection, "prebuilds-messaging errors", cancellationToken).ConfigureAwait(false);
        var queues = new List<ErrorQueueInfo>();
        foreach (var name in names)
        {
            // A failed passive declare closes its channel, so each gets one of its own.
            await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                var declared = await channel.QueueDeclarePassiveAsync(name, cancellationToken).ConfigureAwait(false);
                queues.Add(new ErrorQueueInfo(name, declared.MessageCount));
            }
            catch (OperationInterruptedException)
            {
                // Deleted since it was listed.
            }
        }

        return queues;
    }
}
