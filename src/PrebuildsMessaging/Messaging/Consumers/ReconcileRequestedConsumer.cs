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
/// that misses something, and publishes ReconciliationCompleted for every request of the batch. The commands
/// leave only after the status read succeeded, in chunks (Bus:CommandChunkSize) sent at once with publisher
/// confirms; a failure while sending retries the batch, and the duplicates that follow are safe.
/// </summary>
public sealed partial class ReconcileRequestedConsumer(
    ReconciliationPlanner planner,
    ReconciliationCoverage coverage,
    IOptions<PrebuildsOptions> options,
    IOptions<BusOptions> busOptions,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    ILogger<ReconcileRequestedConsumer> logger) : IConsumer<Batch<ReconcileRequested>>
{
    public async Task Consume(ConsumeContext<Batch<ReconcileRequested>> context)
    {
        var started = timeProvider.GetTimestamp();
        var bus = busOptions.Value;
        var requests = context.Message.Select(m => m.Message).ToList();
        var covered = requests.Where(r => coverage.Covers(r, bus.CoverageClockSkew)).ToList();
        var toRun = requests.Except(covered).ToList();
        var reconciliationId = NewId.NextGuid();

        ReconciliationScope? scope = null;
        ReconciliationPlan plan = new(0, []);
        if (toRun.Count > 0)
        {
            scope = ReconciliationScope.Union(toRun.Select(r => ReconciliationScope.Of(r.OrganizationIds)));
            var readStartedAt = timeProvider.GetUtcNow();
            plan = await planner.PlanAsync(scope, context.CancellationToken).ConfigureAwait(false);
            await SendCommandsAsync(context, plan.Incomplete, reconciliationId, bus.CommandChunkSize).ConfigureAwait(false);
            coverage.Record(scope, readStartedAt);
        }

        var duration = timeProvider.GetElapsedTime(started);
        await context.Publish(new ReconciliationCompleted
        {
            ReconciliationId = reconciliationId,
            OrganizationIds = (scope ?? ReconciliationScope.Union(covered.Select(r => ReconciliationScope.Of(r.OrganizationIds)))).OrganizationIds?.ToList() ?? [],
            RequestIds = requests.Select(r => r.RequestId).ToList(),
            CoveredRequestIds = covered.Select(r => r.RequestId).ToList(),
            OrganizationsChecked = plan.OrganizationsChecked,
            CommandsSent = plan.Incomplete.Count,
            Duration = duration,
        }, context.CancellationToken).ConfigureAwait(false);

        metrics.Reconciled(scope is not null, covered.Count, plan.OrganizationsChecked, plan.Incomplete.Count, duration);
        if (scope is null)
        {
            LogCovered(logger, reconciliationId, requests.Count);
        }
        else
        {
            LogReconciled(logger, reconciliationId, scope, requests.Count, covered.Count, plan.OrganizationsChecked, plan.Incomplete.Count, duration.TotalMilliseconds);
        }
    }

    /// <summary>One command per incomplete organization, sent straight to the broker in chunks sent at once (not held in an outbox).</summary>
    private async Task SendCommandsAsync(ConsumeContext context, IReadOnlyList<OrganizationPrebuildStatus> incomplete, Guid reconciliationId, int chunkSize)
    {
        if (incomplete.Count == 0)
        {
            return;
        }

        var prebuilds = options.Value;
        var endpoint = await context.GetSendEndpoint(QueueNames.EnsureOrgSetupAddress).ConfigureAwait(false);
        foreach (var chunk in incomplete.Chunk(chunkSize))
        {
            await endpoint.SendBatch(chunk.Select(status => new EnsureOrgPrebuildSetup
            {
                OrganizationId = status.OrganizationId,
                OrganizationName = status.OrganizationName,
                UserId = prebuilds.UserId,
                GroupName = prebuilds.GroupName,
                HasPrebuildUser = status.HasPrebuildUser,
                PrebuildsGroupId = status.PrebuildsGroupId,
                HasPrebuildUserInGroup = status.HasPrebuildUserInGroup,
                ReconciliationId = reconciliationId,
            }), context.CancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests, {CoveredCount} already covered): {OrganizationsChecked} organizations checked, {CommandsSent} commands sent in {DurationMs:F1} ms")]
    private static partial void LogReconciled(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount, int coveredCount, int organizationsChecked, int commandsSent, double durationMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId}: all {RequestCount} requests already covered by earlier status reads; no query")]
    private static partial void LogCovered(ILogger logger, Guid reconciliationId, int requestCount);
}
