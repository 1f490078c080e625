using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>
/// This replica's change-feed state, for the gauge and the logs: one line per change of state (or of the reason it
/// cannot stream), never one per attempt; and one warning, once, when it has been unable to stream for longer than
/// ChangeFeed:UnavailableWarningAfter.
/// </summary>
public sealed partial class ChangeFeedStatus(
    IOptions<ChangeFeedOptions> options,
    PrebuildsMetrics metrics,
    TimeProvider timeProvider,
    ILogger<ChangeFeedStatus> logger)
{
    private readonly Lock gate = new();
    private ChangeFeedState? state;
    private string? detail;
    private DateTimeOffset unavailableSince;
    private bool warned;

    public ChangeFeedState? Current
    {
        get
        {
            lock (gate)
            {
                return state;
            }
        }
    }

    /// <summary>Streaming from the slot on that server (host:port), after the snapshot was requested.</summary>
    public void Streaming(string server, string slot)
    {
        if (Enter(ChangeFeedState.Streaming, server))
        {
            LogStreaming(logger, slot, server);
        }
    }

    /// <summary>Another replica holds the feed on that server; this one waits to take over.</summary>
    public void StandingBy(string server)
    {
        if (Enter(ChangeFeedState.StandingBy, server))
        {
            LogStandingBy(logger, server);
        }
    }

    /// <summary>Cannot stream, for this reason; it tries again after the retry interval (a lost stream at once).</summary>
    public void Unavailable(string reason)
    {
        var feed = options.Value;
        if (Enter(ChangeFeedState.Unavailable, reason))
        {
            LogUnavailable(logger, reason, feed.RetryInterval.TotalSeconds);
        }

        lock (gate)
        {
            if (warned || timeProvider.GetUtcNow() - unavailableSince <= feed.UnavailableWarningAfter)
            {
                return;
            }

            warned = true;
        }

        LogUnavailableTooLong(logger, feed.UnavailableWarningAfter.TotalSeconds, reason);
    }

    private bool Enter(ChangeFeedState next, string nextDetail)
    {
        lock (gate)
        {
            if (state == next && detail == nextDetail)
            {
                return false;
            }

            if (next == ChangeFeedState.Unavailable && state != ChangeFeedState.Unavailable)
            {
                unavailableSince = timeProvider.GetUtcNow();
                warned = false;
            }

            state = next;
            detail = nextDetail;
        }

        metrics.ChangeFeedState(next);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: streaming from temporary replication slot {Slot} on {Server}, after requesting a reconciliation of every organization (snapshot)")]
    private static partial void LogStreaming(ILogger logger, string slot, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: another replica streams; standing by on {Server} to take over")]
    private static partial void LogStandingBy(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed: cannot stream ({Reason}); trying again, at most every {Seconds} s")]
    private static partial void LogUnavailable(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed: unable to stream for more than {Seconds} s ({Reason}); until it streams again, changes in Coder's database wait for the schedule")]
    private static partial void LogUnavailableTooLong(ILogger logger, double seconds, string reason);
}
