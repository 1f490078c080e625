namespace PrebuildsMessaging.Contracts;

/// <summary>The values of <see cref="ReconcileRequested.Source"/>.</summary>
public static class ReconcileSources
{
    public const string Schedule = "schedule";
    public const string TemplateChanged = "template-changed";
    public const string PresetsChanged = "presets-changed";
    public const string Manual = "manual";
    public const string Replay = "replay";
    public const string ChangeFeed = "change-feed";

    /// <summary>Coder's administrators lifted their pause of prebuilds reconciliation: one full reconciliation catches up.</summary>
    public const string Resumed = "resumed";
}
