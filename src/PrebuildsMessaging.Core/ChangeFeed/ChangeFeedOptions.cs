namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>The change feed from Coder's database (PostgreSQL logical replication): <c>ChangeFeed:*</c>.</summary>
public sealed class ChangeFeedOptions
{
    public const string SectionName = "ChangeFeed";

    /// <summary>Follow Coder's database changes through the replication slot (opt-in).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The temporary logical replication slot the elected replica creates on each connection; PostgreSQL drops it when
    /// that connection ends. Slot names are per server, so two Coder databases on one server need two names.
    /// </summary>
    public string SlotName { get; set; } = "prebuilds_messaging";

    /// <summary>A warning is logged while the slot holds back more WAL than this (bytes); the gauge reports it always.</summary>
    public long LagWarningBytes { get; set; } = 1L << 30;

    /// <summary>How often the worker reads the slot's lag (for the gauge and the warning).</summary>
    public TimeSpan LagCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a replica that cannot stream waits before it tries again (a stream that was lost is tried again at once).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A replica that has been unable to stream for longer than this says so once, at Warning.</summary>
    public TimeSpan UnavailableWarningAfter { get; set; } = TimeSpan.FromMinutes(1);
}
