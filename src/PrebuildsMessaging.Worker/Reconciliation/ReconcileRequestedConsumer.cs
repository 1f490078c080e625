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
/// Step 2 of the flow. A batch of ReconcileRequested runs one status query (<see cref="StatusQuery"/>) for the union
/// of the scopes of the requests that an earlier read does not already cover (any "all" means all), sends one EnsureOrgPrebuildSetup per organization
/// that misses something, and publishes ReconciliationCompleted for every request of the batch. The rows stream
/// in, and the commands leave in chunks (Bus:CommandChunkSize) as they come, each chunk sent at once with
/// publisher confirms, so memory stays bounded. A failure part-way retries the batch; the commands that had
/// already left stand for organizations that really missed something, and their duplicates are safe.
/// </summary>
public sealed partial class ReconcileRequestedConsumer(
    IBus bus,
    StatusQuery statusQuery,
    ReconciliationCoverage coverage,
    IOptions<PrebuildsOptions> options,
    IOptions<BusOptions> busOptions,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    CoderPauseWatcher pause,
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
            // Each chunk's commands (the status rows themselves) leave at once with publisher confirms, straight to the
            // broker, not held in an outbox. Through the bus rather than the consume context: hundreds of concurrent
            // sends would otherwise contend for the one context's payload cache.
            var endpoint = await bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress).ConfigureAwait(false);
            tally = await statusQuery.ReadIncompleteAsync(scope, reconciliationId, settings.CommandChunkSize,
                (commands, token) => endpoint.SendBatch(commands, token), context.CancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests, {CoveredCount} already covered): {OrganizationsChecked} organizations checked, {CommandsSent} commands sent in {DurationMs:F1} ms")]
    private static partial void LogReconciled(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount, int coveredCount, int organizationsChecked, int commandsSent, double durationMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests): held back by Coder's pause; nothing sent")]
    private static partial void LogPaused(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId}: all {RequestCount} requests already covered by earlier status reads; no query")]
    private static partial void LogCovered(ILogger logger, Guid reconciliationId, int requestCount);
}

/// <summary>
/// ReconcileRequested is consumed in batches, one batch at a time, so a burst costs a handful of status queries. A
/// batch closes after a quiet period (Bus:ReconcileBatchTimeLimit since the last request) or when full
/// (Bus:ReconcileBatchMessageLimit): a lone request runs almost at once, a burst waits for its end.
/// It sends its commands itself, in chunks, once its status read has succeeded: an outbox would hold them all.
/// </summary>
public sealed class ReconcileRequestedConsumerDefinition(IOptions<BusOptions> options)
    : PrebuildsEndpointDefinition<ReconcileRequestedConsumer>(options, QueueNames.ReconcileRequested, outbox: false)
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ReconcileRequestedConsumer> consumerConfigurator, IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(consumerConfigurator);
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            // A batch can only be as large as what the broker lets us hold unacknowledged.
            rabbit.PrefetchCount = Bus.ReconcileBatchMessageLimit + 10;
        }

        consumerConfigurator.Options<BatchOptions>(o => o
            .SetMessageLimit(Bus.ReconcileBatchMessageLimit)
            .SetTimeLimit(Bus.ReconcileBatchTimeLimit)
            .SetTimeLimitStart(BatchTimeLimitStart.FromLast)
            .SetConcurrencyLimit(1));
    }
}
