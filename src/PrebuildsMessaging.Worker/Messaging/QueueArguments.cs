namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// The one place that decides a queue's arguments. The receive endpoints, MassTransit's declarations of their
/// _error and _skipped companions, and the start-up declaration all take them from here, so every declaration of
/// a queue agrees.
/// A quorum receive queue has a delivery limit (<see cref="BusOptions.QuorumDeliveryLimit"/>): a message that was
/// delivered that many times without being acknowledged (each delivery killed the worker, or cost it its connection)
/// is dead-lettered, at least once, into the queue's _error queue instead of coming back forever. MassTransit's own
/// retries happen inside one delivery and do not count. The companions have only the queue type: reading an
/// _error queue (`errors`) counts as a delivery on a quorum queue, and must never move its messages.
/// </summary>
public static class QueueArguments
{
    public const string QueueTypeArgument = "x-queue-type";
    public const string DeliveryLimitArgument = "x-delivery-limit";
    public const string DeadLetterExchangeArgument = "x-dead-letter-exchange";
    public const string DeadLetterStrategyArgument = "x-dead-letter-strategy";
    public const string OverflowArgument = "x-overflow";
    public const string Classic = "classic";
    public const string Quorum = "quorum";

    /// <summary>The arguments a receive queue has and its companions do not.</summary>
    public static IReadOnlyList<string> ReceiveQueueOnly { get; } =
        [DeliveryLimitArgument, DeadLetterExchangeArgument, DeadLetterStrategyArgument, OverflowArgument];

    public static string QueueType(BusOptions bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        return bus.QuorumQueues ? Quorum : Classic;
    }

    /// <summary>The x-arguments of a receive queue (a new dictionary each call); a classic queue has none.</summary>
    public static Dictionary<string, object?> ForReceiveQueue(BusOptions bus, string queue)
    {
        var arguments = ForCompanion(bus);
        if (QueueType(bus) == Quorum && bus.QuorumDeliveryLimit > 0)
        {
            arguments[DeliveryLimitArgument] = bus.QuorumDeliveryLimit;
            arguments[DeadLetterExchangeArgument] = queue + QueueNames.ErrorSuffix;
            arguments[DeadLetterStrategyArgument] = "at-least-once";
            arguments[OverflowArgument] = "reject-publish"; // what at-least-once dead-lettering requires; no length limit is set
        }

        return arguments;
    }

    /// <summary>The x-arguments of an _error or _skipped queue: the queue type only.</summary>
    public static Dictionary<string, object?> ForCompanion(BusOptions bus) =>
        QueueType(bus) == Quorum
            ? new Dictionary<string, object?> { [QueueTypeArgument] = Quorum }
            : new Dictionary<string, object?>();

    /// <summary>The arguments of a queue the worker declares, by its name.</summary>
    public static Dictionary<string, object?> For(BusOptions bus, string queue) =>
        QueueNames.IsCompanion(queue) ? ForCompanion(bus) : ForReceiveQueue(bus, queue);
}
