using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace PrebuildsMessaging.Messaging;

/// <summary>
/// Before the bus starts, declares every receive queue with its _error and _skipped companions, each with its
/// exchange and binding, using <see cref="QueueArguments"/>. Sends to a queue then need declare nothing, no
/// message sent on a first start can miss a binding, and a queue that exists with other arguments (a classic
/// queue where quorum queues are configured, or the reverse) stops start-up with a message that says what to do.
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
        var arguments = QueueArguments.For(bus);
        var queueType = QueueArguments.QueueType(bus);
        await using var amqp = await ConnectAsync(cancellationToken).ConfigureAwait(false);

        var conflicts = new List<string>();
        var declared = 0;
        foreach (var queue in QueueNames.All.SelectMany(QueueNames.WithCompanions))
        {
            // A refused declaration closes its channel, so each queue gets its own.
            await using var channel = await amqp.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
                await channel.QueueBindAsync(queue, queue, "", cancellationToken: cancellationToken).ConfigureAwait(false);
                declared++;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
            {
                conflicts.Add(Describe(queue, QueueDeclareConflict.Parse(ex.ShutdownReason.ReplyText), ex.ShutdownReason.ReplyText));
            }
        }

        if (conflicts.Count > 0)
        {
            // The host logs it as it fails to start, and `run` prints it as a configuration error (exit code 2).
            throw new QueueConflictException(ConflictMessage(bus, queueType, conflicts));
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

    private static string Describe(string queue, QueueDeclareConflict? conflict, string replyText) => conflict switch
    {
        { CurrentQueueType: { } current } => $"Queue '{queue}' is a {current} queue.",
        { Argument: { } argument } => $"Queue '{queue}' has another value for {argument} than the worker declares ({replyText}).",
        _ => $"Queue '{queue}' was refused: {replyText}",
    };

    private string ConflictMessage(BusOptions bus, string queueType, List<string> conflicts) =>
        $"Bus:QuorumQueues={(bus.QuorumQueues ? "true" : "false")} needs {queueType} queues, but on virtual host '{connection.VirtualHost}' "
        + $"{conflicts.Count} queue(s) already exist with other arguments:{Environment.NewLine}"
        + string.Join(Environment.NewLine, conflicts.Select(c => "    " + c)) + Environment.NewLine
        + "    A queue cannot change its type in place: once these queues are drained, stop every worker, delete them and start "
        + "again, or point ConnectionStrings:RabbitMq at a fresh virtual host. The runbook's \"Changing the queue type\" has the steps.";

    [LoggerMessage(Level = LogLevel.Information, Message = "Declared {QueueCount} receive queues and their companions as {QueueType} queues on {Broker}")]
    private static partial void LogDeclared(ILogger logger, int queueCount, string queueType, string broker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ at {Broker} is not reachable ({Reason}); trying again in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, string broker, double delaySeconds, string reason);

}
