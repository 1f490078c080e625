using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>
/// A batch of ReconcileRequested runs one status query for the union of the scopes of the requests that an
/// earlier read does not already cover (any "all" means all), sends one EnsureOrgPrebuildSetup per organization
/// that misses something, and publishes ReconciliationCompleted for every request of the batch. The rows stream
/// in, and the commands leave in chunks (Bus:CommandChunkSize) as they come, each chunk sent at once with
/// publisher confirms, so memory stays bounded. A failure part-way retries the batch; the commands that had
/// already left stand for organizations that really missed something, and their duplicates are safe.
/// </summary>
public sealed partial class ReconcileRequestedConsumer(
    IBus bus,
    ReconciliationPlanner planner,
    ReconciliationCoverage coverage,
    IOptions<PrebuildsOptions> options,
    IOptions<BusOptions> busOptions,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    Pause.CoderPauseWatcher pause,
    ILogger<ReconcileRequestedConsumer> logger) : IConsumer<Batch<ReconcileRequested>>
{
    public async Task Consume(ConsumeContext<Batch<ReconcileRequested>> context)
    {
        var started = timeProvider.GetTimestamp();
        var settings = busOptions.Value;
        var requests = context.Message.Select(m => m.Message).ToList();
        var covered = requests.Where(r => coverage.Covers(r, settings.CoverageClockSkew)).ToList();
        var toRun = requests.Except(covered).ToList();
        var reconciliationId = NewId.NextGuid();

        ReconciliationScope? scope = null;
        var tally = new ReconciliationTally(0, 0);
        if (toRun.Count > 0)
        {
            scope = ReconciliationScope.Union(toRun.Select(r => ReconciliationScope.Of(r.OrganizationIds)));
            var readStartedAt = timeProvider.GetUtcNow();
            var endpoint = await bus.GetSendEndpoint(QueueNames.EnsureOrgSetupAddress).ConfigureAwait(false);
            tally = await planner.PlanInChunksAsync(scope, settings.CommandChunkSize,
                (chunk, token) => SendCommandsAsync(endpoint, chunk, reconciliationId, token), context.CancellationToken).ConfigureAwait(false);
            if (!options.Value.IgnoreCoderPause)
            {
                await pause.ObserveAsync(tally.PausedByCoder, readStartedAt, context.CancellationToken).ConfigureAwait(false);
            }

            if (!tally.PausedByCoder)
            {
                coverage.Record(scope, readStartedAt); // a read held back by the pause answers nothing
            }
        }

        var duration = timeProvider.GetElapsedTime(started);
        await context.Publish(new ReconciliationCompleted
        {
            ReconciliationId = reconciliationId,
            OrganizationIds = (scope ?? ReconciliationScope.Union(covered.Select(r => ReconciliationScope.Of(r.OrganizationIds)))).OrganizationIds?.ToList() ?? [],
            RequestIds = requests.Select(r => r.RequestId).ToList(),
            CoveredRequestIds = covered.Select(r => r.RequestId).ToList(),
            PausedByCoder = tally.PausedByCoder,
            OrganizationsChecked = tally.OrganizationsChecked,
            CommandsSent = tally.OrganizationsIncomplete,
            Duration = duration,
        }, context.CancellationToken).ConfigureAwait(false);

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

    /// <summary>
    /// One command per incomplete organization of a chunk, sent at once with publisher confirms, straight to the
    /// broker (not held in an outbox). Through the bus rather than the consume context: hundreds of concurrent
    /// sends would otherwise contend for the one context's payload cache.
    /// </summary>
    private Task SendCommandsAsync(ISendEndpoint endpoint, IReadOnlyList<OrganizationPrebuildStatus> chunk, Guid reconciliationId, CancellationToken cancellationToken)
    {
        var prebuilds = options.Value;
        return endpoint.SendBatch(chunk.Select(status => EnsureCommands.For(status, prebuilds, reconciliationId)), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests, {CoveredCount} already covered): {OrganizationsChecked} organizations checked, {CommandsSent} commands sent in {DurationMs:F1} ms")]
    private static partial void LogReconciled(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount, int coveredCount, int organizationsChecked, int commandsSent, double durationMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests): held back by Coder's pause; nothing sent")]
    private static partial void LogPaused(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId}: all {RequestCount} requests already covered by earlier status reads; no query")]
    private static partial void LogCovered(ILogger logger, Guid reconciliationId, int requestCount);
}
