using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Worker.Observability;

/// <summary>
/// Reads the recommended index's state at start and then every 30 minutes (an index is built or dropped by an
/// operator, rarely; a read more often would be most of an idle worker's statements), for the
/// <c>prebuilds.recommended_index.present</c> gauge. Logs one warning, with the cost and the command that
/// creates it, when the index is missing at start or goes missing later; one line when it appears.
/// </summary>
public sealed partial class RecommendedIndexMonitor(
    RecommendedIndex index,
    PrebuildsMetrics metrics,
    TimeProvider timeProvider,
    ILogger<RecommendedIndexMonitor> logger) : BackgroundService
{
    /// <summary>The command that creates the index, as the log and `status` advise it.</summary>
    public const string CreateCommand = "PrebuildsMessaging migrate --with-recommended-index";

    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        RecommendedIndexState? last = null;
        using var timer = new PeriodicTimer(Interval, timeProvider);
        do
        {
            try
            {
                var state = await index.ReadStateAsync(stoppingToken).ConfigureAwait(false);
                metrics.RecommendedIndexPresent(state == RecommendedIndexState.Present);
                if (state != last)
                {
                    Report(state);
                    last = state;
                }
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogUnknown(logger, ex.Message); // the database is away; readiness reports that, and the next round tries again
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void Report(RecommendedIndexState state)
    {
        switch (state)
        {
            case RecommendedIndexState.Absent:
                LogAbsent(logger, RecommendedIndex.Name, RecommendedIndex.CostWithout, CreateCommand);
                break;
            case RecommendedIndexState.Invalid:
                LogInvalid(logger, RecommendedIndex.Name, RecommendedIndex.CostWithout, CreateCommand);
                break;
            default:
                LogPresent(logger, RecommendedIndex.Name);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recommended index {Index} is missing: {Cost}. Create it, as the owner of template_version_presets, with: {Command}")]
    private static partial void LogAbsent(ILogger logger, string index, string cost, string command);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recommended index {Index} is invalid (a build that failed): {Cost}. Rebuild it, as the owner of template_version_presets, with: {Command}")]
    private static partial void LogInvalid(ILogger logger, string index, string cost, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "The recommended index {Index} is present")]
    private static partial void LogPresent(ILogger logger, string index);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read the recommended index's state: {Reason}")]
    private static partial void LogUnknown(ILogger logger, string reason);
}
