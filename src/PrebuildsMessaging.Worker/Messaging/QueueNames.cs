using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>The receive queues, one per message type consumed, named after it; each has its _error and _skipped companions.</summary>
public static class QueueNames
{
    public const string TemplateChanged = "prebuilds-template-changed";
    public const string PresetsChanged = "prebuilds-presets-changed";
    public const string ReconcileRequested = "prebuilds-reconcile";
    public const string EnsureOrgPrebuildSetup = "prebuilds-ensure-org-setup";

    public static IReadOnlyList<string> All { get; } = [TemplateChanged, PresetsChanged, ReconcileRequested, EnsureOrgPrebuildSetup];

    public const string ErrorSuffix = "_error";
    public const string SkippedSuffix = "_skipped";

    /// <summary>A receive queue with its _error and _skipped companions, in that order.</summary>
    public static IEnumerable<string> WithCompanions(string queue) => [queue, queue + ErrorSuffix, queue + SkippedSuffix];

    /// <summary>True for an _error or _skipped queue.</summary>
    public static bool IsCompanion(string queue) =>
        queue is not null && (queue.EndsWith(ErrorSuffix, StringComparison.Ordinal) || queue.EndsWith(SkippedSuffix, StringComparison.Ordinal));

    /// <summary>
    /// Where EnsureOrgPrebuildSetup is sent: the queue's own exchange, which declares no queue (a send that
    /// declared the queue would have to repeat its arguments). The worker declares the queue, its exchange and
    /// the binding at start (<see cref="ReceiveQueueDeclarer"/>).
    /// </summary>
    public static Uri EnsureOrgPrebuildSetupAddress { get; } = new($"exchange:{EnsureOrgPrebuildSetup}");
}
