namespace PrebuildsMessaging.Configuration;

/// <summary>The change feed from Coder's database (PostgreSQL logical replication): <c>ChangeFeed:*</c>.</summary>
public sealed class ChangeFeedOptions
{
    public const string SectionName = "ChangeFeed";

    /// <summary>Follow Coder's database changes through the replication slot (opt-in).</summary>
    public bool Enabled { get; set; }

    /// <summary>The logical replication slot; slot names are per server, so two Coder databases on one server need two names.</summary>
    public string SlotName { get; set; } = "prebuilds_messaging";

    /// <summary>A warning is logged while the slot holds back more WAL than this (bytes); the gauge reports it always.</summary>
    public long LagWarningBytes { get; set; } = 1L << 30;

    /// <summary>How often the worker reads the slot's lag (for the gauge and the warning).</summary>
    public TimeSpan LagCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a replica that does not hold the slot (or lost its stream) tries again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);
}
