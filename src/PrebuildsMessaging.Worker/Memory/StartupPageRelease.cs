using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace PrebuildsMessaging.Worker.Memory;

/// <summary>
/// Once the worker has started, it hands back the pages that only start-up needed (Memory:ReleaseStartupPages).
/// Start-up runs code that nothing runs again (the host, configuration, the bus's topology, Quartz's recovery), and
/// the kernel maps the executable image around each page it touches, 64 KB at a time: most of the image ends up
/// resident. Quartz's scheduler is the last part to start (after the host has started), so its start is the moment:
/// the worker asks the kernel to page out its private file mappings, and a pass then reads back only what it runs.
/// Those pages are clean copies of files: nothing is lost, and one touched again is read from the file.
/// </summary>
internal sealed partial class StartupPageRelease(
    IOptions<MemoryOptions> options,
    TimeProvider timeProvider,
    ILogger<StartupPageRelease> logger) : ISchedulerListener
{
    private int released;

    public ValueTask SchedulerStarted(IScheduler scheduler, CancellationToken cancellationToken = default)
    {
        if (options.Value.ReleaseStartupPages && OperatingSystem.IsLinux() && Interlocked.Exchange(ref released, 1) == 0)
        {
            Release();
        }

        return ValueTask.CompletedTask;
    }

    private void Release()
    {
        try
        {
            var started = timeProvider.GetTimestamp();
            var before = ProcessPages.ResidentFileBytes();
            var (advised, refused) = ProcessPages.PageOutFileMappings();
            var after = ProcessPages.ResidentFileBytes();
            var elapsed = timeProvider.GetElapsedTime(started);
            LogReleased(logger, before / (1024.0 * 1024), after / (1024.0 * 1024), advised, refused, elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            LogNotReleased(logger, ex.Message); // memory only: the worker runs on as it is
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Start-up pages released: resident file pages {BeforeMb:F1} MB -> {AfterMb:F1} MB ({Advised} mappings, {Refused} refused) in {ElapsedMs:F1} ms")]
    private static partial void LogReleased(ILogger logger, double beforeMb, double afterMb, int advised, int refused, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up pages not released ({Reason}); the worker runs on, with them resident")]
    private static partial void LogNotReleased(ILogger logger, string reason);

    public string Name => nameof(StartupPageRelease);
}
