namespace PrebuildsMessaging.Messaging;

/// <summary>
/// The one place that decides a receive queue's arguments. The receive endpoints, their _error and _skipped
/// companions (MassTransit copies the receive queue's arguments to them) and the start-up declaration all
/// take them from here, so every declaration of a queue agrees.
/// </summary>
public static class QueueArguments
{
    public const string QueueTypeArgument = "x-queue-type";
    public const string Classic = "classic";
    public const string Quorum = "quorum";

    public static string QueueType(BusOptions bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        return bus.QuorumQueues ? Quorum : Classic;
    }

    /// <summary>The x-arguments to declare each receive queue with (a new dictionary each call); a classic queue is declared with none.</summary>
    public static Dictionary<string, object?> For(BusOptions bus) =>
        QueueType(bus) == Quorum
            ? new Dictionary<string, object?> { [QueueTypeArgument] = Quorum }
            : new Dictionary<string, object?>();
}
