namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>The broker already has a receive queue declared with other arguments than the worker's settings want; the worker cannot start.</summary>
public sealed class QueueConflictException : Exception
{
    public QueueConflictException(string message)
        : base(message)
    {
    }

    public QueueConflictException()
    {
    }

    public QueueConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
