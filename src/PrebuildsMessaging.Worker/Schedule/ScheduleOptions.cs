namespace PrebuildsMessaging.Worker.Schedule;

public enum ScheduleStore
{
    /// <summary>Quartz's clustered store in PostgreSQL (schema prebuilds_messaging): N replicas fire once per interval.</summary>
    Postgres,

    /// <summary>Quartz's in-memory store, for a single node: every replica fires on its own.</summary>
    InMemory,
}

/// <summary>The scheduled full reconciliation (section <c>Schedule</c>).</summary>
public sealed class ScheduleOptions
{
    public const string SectionName = "Schedule";

    /// <summary>Time between scheduled full reconciliations, unless <see cref="Cron"/> is set.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A Quartz cron expression; when set it replaces <see cref="Interval"/>.</summary>
    public string? Cron { get; set; }

    public ScheduleStore Store { get; set; } = ScheduleStore.Postgres;

    /// <summary>Request a full reconciliation once when the worker starts.</summary>
    public bool RunAtStartup { get; set; } = true;
}
