using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Reconciliation;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Pause;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>
/// Step 2 of the flow, continued: one pass for a batch of ReconcileRequested (<see cref="ReconciliationBatches"/>) runs one status query (<see cref="StatusQuery"/>) for the union
/// of the scopes of the requests that an earlier read does not already cover (any "all" means all), sends one EnsureOrgPrebuildSetup per organization
/// that misses something, and publishes ReconciliationCompleted for every request of the batch. The rows stream
/// in, and the commands leave in chunks (Bus:CommandChunkSize) as they come, each chunk sent at once with
/// publisher confirms, so memory stays bounded. A failure part-way fails the batch's requests, which are retried; the commands that had
/// already left stand for organizations that really missed something, and their duplicates are safe.
/// </summary>
public sealed partial class ReconciliationPass(
    IBus bus,
    StatusQuery statusQuery,
    ReconciliationCoverage coverage,
    IOptions<PrebuildsOptions> options,
    IOptions<BusOptions> busOptions,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    CoderPauseWatcher pause,
    ILogger<ReconciliationPass> logger)
{
    public async Task RunAsync(IReadOnlyList<ReconcileRequested> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var started = timeProvider.GetTimestamp();
        var settings = busOptions.Value;
        var covered = requests.Where(r => coverage.Covers(r, settings.CoverageClockSkew)).ToList();
        var toRun = requests.Except(covered).ToList();
        var reconciliationId = NewId.NextGuid();

        ReconciliationScope? scope = null;
        var tally = new ReconciliationTally(0, 0);
        if (toRun.Count > 0)
        {
            scope = ReconciliationScope.Union(toRun.Select(r => ReconciliationScope.Of(r.OrganizationIds)));
            var readStartedAt = timeProvider.GetUtcNow();
            // Each chunk's commands (the status rows themselves) leave at once with publisher confirms, straight to the
            // broker, not held in an outbox.
            var endpoint = await bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress).ConfigureAwait(false);
            tally = await statusQuery.ReadIncompleteAsync(scope, reconciliationId, settings.CommandChunkSize,
                (commands, token) => endpoint.SendBatch(commands, token), cancellationToken).ConfigureAwait(false);
            if (!options.Value.IgnoreCoderPause)
            {
                await pause.ObserveAsync(tally.PausedByCoder, readStartedAt, cancellationToken).ConfigureAwait(false);
            }

            if (!tally.PausedByCoder)
            {
                coverage.Record(scope, readStartedAt); // a read held back by the pause answers nothing
            }
        }

        var duration = timeProvider.GetElapsedTime(started);
        await bus.Publish(new ReconciliationCompleted
        {
            ReconciliationId = reconciliationId,
            OrganizationIds = (scope ?? ReconciliationScope.Union(covered.Select(r => ReconciliationScope.Of(r.OrganizationIds)))).OrganizationIds?.ToList() ?? [],
            RequestIds = requests.Select(r => r.RequestId).ToList(),
            CoveredRequestIds = covered.Select(r => r.RequestId).ToList(),
            PausedByCoder = tally.PausedByCoder,
            OrganizationsChecked = tally.OrganizationsChecked,
            CommandsSent = tally.OrganizationsIncomplete,
            Duration = duration,
        }, cancellationToken).ConfigureAwait(false);

        metrics.Reconciled(scope is not null, covered.Count, tally.OrganizationsChecked, tally.OrganizationsIncomplete, duration);
        if (scope is null)
        {
            LogCovered(logger, reconciliationId, requests.Count);
        }
        else if (tally.PausedByCoder)
        {
            LogPaused(logger, reconciliationId, scope, requests.Count); // at Debug: the watcher says it once
        }
        else
        {
            LogReconciled(logger, reconciliationId, scope, requests.Count, covered.Count, tally.OrganizationsChecked, tally.OrganizationsIncomplete, duration.TotalMilliseconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests, {CoveredCount} already covered): {OrganizationsChecked} organizations checked, {CommandsSent} commands sent in {DurationMs:F1} ms")]
    private static partial void LogReconciled(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount, int coveredCount, int organizationsChecked, int commandsSent, double durationMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests): held back by Coder's pause; nothing sent")]
    private static partial void LogPaused(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId}: all {RequestCount} requests already covered by earlier status reads; no query")]
    private static partial void LogCovered(ILogger logger, Guid reconciliationId, int requestCount);
}
