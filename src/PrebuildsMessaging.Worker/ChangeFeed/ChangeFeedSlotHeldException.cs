namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>The feed's temporary slot is still held by the reader before this one (a handover that has not finished): stand by.</summary>
public sealed class ChangeFeedSlotHeldException : Exception
{
    public ChangeFeedSlotHeldException()
    {
    }

    public ChangeFeedSlotHeldException(string server)
        : base($"the temporary replication slot on {server} is still held by another reader")
    {
        Server = server;
    }

    public ChangeFeedSlotHeldException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string Server { get; } = "";
}
