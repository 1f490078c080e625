namespace PrebuildsMessaging.Worker.Memory;

/// <summary>The worker's own memory (section <c>Memory</c>).</summary>
public sealed class MemoryOptions
{
    public const string SectionName = "Memory";

    /// <summary>
    /// Once the worker has started, release the pages of its executable image and libraries that only start-up touched
    /// (Linux: <c>madvise(MADV_PAGEOUT)</c> on its own private file mappings). What a pass needs is read back as it runs.
    /// </summary>
    public bool ReleaseStartupPages { get; set; } = true;
}
