using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>
/// On the replica that streams, reads every ChangeFeed:LagCheckInterval (5 min) how much WAL its temporary slot holds
/// back, for the <c>prebuilds.change_feed.lag</c> gauge, and logs a warning while that passes ChangeFeed:LagWarningBytes
/// (a reader that falls behind, e.g. because the broker does not confirm its requests). Other replicas report no lag.
/// </summary>
public sealed partial class ChangeFeedLagMonitor(
    IOptions<ChangeFeedOptions> options,
    ChangeFeedSlot slot,
    ChangeFeedStatus status,
    PrebuildsMetrics metrics,
    TimeProvider timeProvider,
    ILogger<ChangeFeedLagMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feed = options.Value;
        if (!feed.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(feed.LagCheckInterval, timeProvider);
        do
        {
            if (status.Current != ChangeFeedState.Streaming)
            {
                metrics.ChangeFeedLag(null);
                continue;
            }

            try
            {
                var state = await slot.ReadAsync(feed.SlotName, stoppingToken).ConfigureAwait(false);
                metrics.ChangeFeedLag(state.LagBytes);
                if (state.LagBytes > feed.LagWarningBytes)
                {
                    LogLagging(logger, feed.SlotName, state.LagBytes.Value, feed.LagWarningBytes);
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogUnknown(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed: replication slot {Slot} holds back {LagBytes} bytes of WAL, more than ChangeFeed:LagWarningBytes ({Threshold}); PostgreSQL keeps that WAL on disk until a worker reads it")]
    private static partial void LogLagging(ILogger logger, string slot, long lagBytes, long threshold);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read the change feed's slot: {Reason}")]
    private static partial void LogUnknown(ILogger logger, string reason);
}
