namespace PrebuildsMessaging.Messaging;

/// <summary>The receive queues; each has its _error and _skipped companions, created by MassTransit.</summary>
public static class QueueNames
{
    public const string TemplateChanged = "prebuilds-template-changed";
    public const string PresetsChanged = "prebuilds-presets-changed";
    public const string Reconcile = "prebuilds-reconcile";
    public const string EnsureOrgSetup = "prebuilds-ensure-org-setup";

    public static Uri EnsureOrgSetupAddress { get; } = new($"queue:{EnsureOrgSetup}");
}
