namespace PrebuildsMessaging.ErrorQueues;

/// <summary>One message in an _error or _skipped queue, as MassTransit's fault headers describe it.</summary>
public sealed record ErrorQueueMessage(
    string? MessageId,
    string MessageType,
    string? ExceptionType,
    string? ExceptionMessage,
    string? FaultTime,
    string? Reason,
    int RetryCount);
