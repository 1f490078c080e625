namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>Why the change feed cannot stream, in words an operator can act on.</summary>
public sealed class ChangeFeedUnavailableException : Exception
{
    public ChangeFeedUnavailableException()
    {
    }

    public ChangeFeedUnavailableException(string message)
        : base(message)
    {
    }

    public ChangeFeedUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
