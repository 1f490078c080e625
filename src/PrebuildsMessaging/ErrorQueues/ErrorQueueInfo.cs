namespace PrebuildsMessaging.ErrorQueues;

/// <summary>A dead-letter queue MassTransit keeps beside a receive queue: NAME_error (faults) or NAME_skipped (no consumer).</summary>
public sealed record ErrorQueueInfo(string Name, long Messages)
{
    public const string ErrorSuffix = "_error";
    public const string SkippedSuffix = "_skipped";

    public bool IsSkipped => Name.EndsWith(SkippedSuffix, StringComparison.Ordinal);

    /// <summary>The receive queue its messages came from.</summary>
    public string SourceQueue => Name[..^(IsSkipped ? SkippedSuffix.Length : ErrorSuffix.Length)];

    public static bool IsErrorOrSkipped(string queueName) =>
        queueName.EndsWith(ErrorSuffix, StringComparison.Ordinal) || queueName.EndsWith(SkippedSuffix, StringComparison.Ordinal);
}
