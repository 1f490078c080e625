using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// Before the bus starts, declares every receive queue with its _error and _skipped companions, each with its
/// exchange and binding, using <see cref="QueueArguments"/>. Sends to a queue then need declare nothing, no
/// message sent on a first start can miss a binding, and a queue that exists with other arguments (a classic
/// queue where quorum queues are configured, the reverse, or a quorum queue without the delivery limit) stops start-up
/// with a message that says what to do.
/// An unreachable broker is waited for, as MassTransit does.
/// </summary>
internal sealed partial class ReceiveQueueDeclarer(
    RabbitMqConnection connection,
    IOptions<BusOptions> options,
    TimeProvider timeProvider,
    ILogger<ReceiveQueueDeclarer> logger) : IHostedService
{
    private static readonly TimeSpan MaxConnectDelay = TimeSpan.FromSeconds(30);

    /// <summary>The broker's address without credentials, for log lines.</summary>
    private readonly string broker = connection.ToString();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var bus = options.Value;
        var queueType = QueueArguments.QueueType(bus);
        await using var amqp = await ConnectAsync(cancellationToken).ConfigureAwait(false);

        var conflicts = new List<string>();
        var typeConflicts = 0;
        var declared = 0;
        foreach (var queue in QueueNames.All.SelectMany(QueueNames.WithCompanions))
        {
            // A refused declaration closes its channel, so each queue gets its own.
            await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, QueueArguments.For(bus, queue), cancellationToken: cancellationToken).ConfigureAwait(false);
                await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellationToken).ConfigureAwait(false);
                declared++;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
            {
                var existing = await ExistingQueueTypeAsync(amqp, queue, QueueDeclareConflict.Parse(ex.ShutdownReason.ReplyText), cancellationToken).ConfigureAwait(false);
                if (existing is not null && existing != queueType)
                {
                    typeConflicts++;
                    conflicts.Add($"Queue '{queue}' is a {existing} queue.");
                }
                else
                {
                    conflicts.Add($"Queue '{queue}' has other arguments than the worker declares ({ex.ShutdownReason.ReplyText}).");
                }
            }
        }

        if (conflicts.Count > 0)
        {
            // The host logs it as it fails to start, and `run` prints it as a configuration error (exit code 2).
            throw new QueueConflictException(ConflictMessage(bus, queueType, conflicts, typeConflicts));
        }

        LogDeclared(logger, declared, queueType, broker);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                return await AmqpConnections.OpenAsync(connection, "prebuilds-messaging queue declaration", cancellationToken).ConfigureAwait(false);
            }
            catch (BrokerUnreachableException ex)
            {
                LogUnreachable(logger, broker, delay.TotalSeconds, ex.InnerException?.Message ?? ex.Message);
                await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxConnectDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// The type of a queue that refused its declaration. RabbitMQ names only the first argument that differs, so a
    /// queue is declared once more with its type and nothing else: accepted, it is a queue of that type without the
    /// receive queue's other arguments; refused on the type, the reply names the type it has; refused on a
    /// receive-queue argument it has, it is a quorum queue with a delivery limit.
    /// </summary>
    private static async Task<string?> ExistingQueueTypeAsync(IConnection amqp, string queue, QueueDeclareConflict? conflict, CancellationToken cancellationToken)
    {
        if (conflict?.CurrentQueueType is { } known)
        {
            return known;
        }

        await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var typeOnly = new Dictionary<string, object?> { [QueueArguments.QueueTypeArgument] = QueueArguments.Quorum };
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, typeOnly, cancellationToken: cancellationToken).ConfigureAwait(false);
            return QueueArguments.Quorum;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            var probe = QueueDeclareConflict.Parse(ex.ShutdownReason.ReplyText);
            return probe switch
            {
                { CurrentQueueType: { } current } => current,
                { Argument: var argument, Current: not null } when QueueArguments.ReceiveQueueOnly.Contains(argument) => QueueArguments.Quorum,
                _ => null,
            };
        }
    }

    private string ConflictMessage(BusOptions bus, string queueType, List<string> conflicts, int typeConflicts) =>
        (typeConflicts > 0
            ? $"Bus:QuorumQueues={(bus.QuorumQueues ? "true" : "false")} needs {queueType} queues, but on virtual host '{connection.VirtualHost}' "
            : $"Bus:QuorumDeliveryLimit={bus.QuorumDeliveryLimit} (with Bus:QuorumQueues={(bus.QuorumQueues ? "true" : "false")}) needs other queue arguments, but on virtual host '{connection.VirtualHost}' ")
        + $"{conflicts.Count} queue(s) already exist with other arguments:{Environment.NewLine}"
        + string.Join(Environment.NewLine, conflicts.Select(c => "    " + c)) + Environment.NewLine
        + (typeConflicts > 0
            ? "    A queue cannot change its type in place: once these queues are drained, stop every worker, delete them and start "
              + "again, or point ConnectionStrings:RabbitMq at a fresh virtual host. The runbook's \"Changing the queue type\" has the steps."
            : "    A queue cannot change its arguments in place: set Bus:QuorumDeliveryLimit=0 to keep these queues as they are (no delivery "
              + "limit), or recreate them as the runbook's \"Changing the queue type\" describes.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Declared {QueueCount} receive queues and their companions as {QueueType} queues on {Broker}")]
    private static partial void LogDeclared(ILogger logger, int queueCount, string queueType, string broker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ at {Broker} is not reachable ({Reason}); trying again in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, string broker, double delaySeconds, string reason);

}
