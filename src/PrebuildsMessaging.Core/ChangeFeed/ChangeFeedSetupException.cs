namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>The change feed cannot be set up or dropped as things are; the message says what to do.</summary>
public sealed class ChangeFeedSetupException : Exception
{
    public ChangeFeedSetupException()
    {
    }

    public ChangeFeedSetupException(string message)
        : base(message)
    {
    }

    public ChangeFeedSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
