namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>A message that can never be handled as it is (a missing or empty field). Not retried: it goes to the _error queue with this reason.</summary>
public sealed class InvalidMessageException : Exception
{
    public InvalidMessageException(string message)
        : base(message)
    {
    }

    public InvalidMessageException()
    {
    }

    public InvalidMessageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
