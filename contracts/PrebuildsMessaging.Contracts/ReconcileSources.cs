namespace PrebuildsMessaging.Contracts;

/// <summary>The values of <see cref="ReconcileRequested.Source"/>.</summary>
public static class ReconcileSources
{
    /// <summary>The worker started (Schedule:RunAtStartup): one full reconciliation.</summary>
    public const string Startup = "startup";

    /// <summary>The scheduled full reconciliation (Schedule:Interval or Schedule:Cron).</summary>
    public const string Schedule = "schedule";

    public const string TemplateChanged = "template-changed";
    public const string PresetsChanged = "presets-changed";

    /// <summary>An operator's <c>reconcile</c>.</summary>
    public const string Manual = "manual";

    /// <summary>
    /// EnsureOrgPrebuildSetup commands named another prebuilds user or group than configured (old commands replayed
    /// after a configuration change): their organizations are reconciled afresh instead.
    /// </summary>
    public const string Superseded = "superseded";

    /// <summary>What versions before 2026-12 stamped <see cref="Superseded"/> requests with; still accepted, no longer sent.</summary>
    [Obsolete("No longer sent: superseded commands' requests carry ReconcileSources.Superseded.")]
    public const string Replay = "replay";

    public const string ChangeFeed = "change-feed";

    /// <summary>Coder's administrators lifted their pause of prebuilds reconciliation: one full reconciliation catches up.</summary>
    public const string Resumed = "resumed";
}
