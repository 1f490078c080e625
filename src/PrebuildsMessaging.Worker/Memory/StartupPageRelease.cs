using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace PrebuildsMessaging.Worker.Memory;

/// <summary>
/// Once the worker has started, it releases the pages of its files that only start-up needed
/// (Memory:ReleaseStartupPages). Start-up runs code that nothing runs again (the host, configuration, the bus's
/// topology, Quartz's recovery), and the kernel maps a file around each page a process touches, 64 KB at a time: most
/// of the executable image ends up resident. Quartz's scheduler starts after the host has started, so its start is the
/// moment: the worker releases its private file mappings (<see cref="ProcessPages"/>), and a pass then reads back only
/// what it runs.
/// </summary>
internal sealed partial class StartupPageRelease(
    IOptions<MemoryOptions> options,
    TimeProvider timeProvider,
    ILogger<StartupPageRelease> logger) : ISchedulerListener
{
    private int done;

    public string Name => nameof(StartupPageRelease);

    public ValueTask SchedulerStarted(IScheduler scheduler, CancellationToken cancellationToken = default)
    {
        // Once: a scheduler put in standby and started again does not release again.
        if (options.Value.ReleaseStartupPages && OperatingSystem.IsLinux() && Interlocked.Exchange(ref done, 1) == 0)
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
            var (released, refused) = ProcessPages.ReleaseFileMappings();
            var after = ProcessPages.ResidentFileBytes();
            var elapsed = timeProvider.GetElapsedTime(started);
            if (released == 0 && refused > 0)
            {
                LogRefused(logger, refused);
                return;
            }

            LogReleased(logger, before / (1024.0 * 1024), after / (1024.0 * 1024), released, refused, elapsed.TotalMilliseconds);
        }
#pragma warning disable CA1031 // best effort: whatever goes wrong, the worker runs on with its pages resident
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(logger, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Start-up pages released: resident file pages {BeforeMb:F1} MB -> {AfterMb:F1} MB ({Released} mappings, {Refused} refused) in {ElapsedMs:F1} ms")]
    private static partial void LogReleased(ILogger logger, double beforeMb, double afterMb, int released, int refused, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up pages not released: the kernel refused all {Refused} file mappings (MADV_PAGEOUT needs Linux 5.4); the worker runs on, with them resident")]
    private static partial void LogRefused(ILogger logger, int refused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up pages not released ({Reason}); the worker runs on, with them resident")]
    private static partial void LogFailed(ILogger logger, string reason);
}
