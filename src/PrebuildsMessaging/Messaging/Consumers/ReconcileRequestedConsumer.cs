using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>
/// A batch of ReconcileRequested runs one status query for the union of their scopes (any "all" means
/// all), sends one EnsureOrgPrebuildSetup per organization that misses something, and publishes
/// ReconciliationCompleted. The in-memory outbox releases them only when this consumer succeeds.
/// </summary>
public sealed partial class ReconcileRequestedConsumer(
    ReconciliationPlanner planner,
    IOptions<PrebuildsOptions> options,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    ILogger<ReconcileRequestedConsumer> logger) : IConsumer<Batch<ReconcileRequested>>
{
    public async Task Consume(ConsumeContext<Batch<ReconcileRequested>> context)
    {
        var started = timeProvider.GetTimestamp();
        var requests = context.Message.Select(m => m.Message).ToList();
        var ids = requests.SelectMany(r => r.OrganizationIds ?? []).Where(id => id != Guid.Empty).ToList();
        var scope = ids.Count == 0 || requests.Any(r => r.OrganizationIds is not { Count: > 0 })
            ? ReconciliationScope.All
            : ReconciliationScope.For(ids);

        var plan = await planner.PlanAsync(scope, context.CancellationToken).ConfigureAwait(false);
        var reconciliationId = NewId.NextGuid();
        var prebuilds = options.Value;
        var endpoint = await context.GetSendEndpoint(QueueNames.EnsureOrgSetupAddress).ConfigureAwait(false);
        foreach (var status in plan.Incomplete)
        {
            await endpoint.Send(new EnsureOrgPrebuildSetup
            {
                OrganizationId = status.OrganizationId,
                OrganizationName = status.OrganizationName,
                UserId = prebuilds.UserId,
                GroupName = prebuilds.GroupName,
                HasPrebuildUser = status.HasPrebuildUser,
                PrebuildsGroupId = status.PrebuildsGroupId,
                HasPrebuildUserInGroup = status.HasPrebuildUserInGroup,
                ReconciliationId = reconciliationId,
            }, context.CancellationToken).ConfigureAwait(false);
        }

        var duration = timeProvider.GetElapsedTime(started);
        await context.Publish(new ReconciliationCompleted
        {
            ReconciliationId = reconciliationId,
            OrganizationIds = scope.OrganizationIds?.ToList() ?? [],
            RequestIds = requests.Select(r => r.RequestId).ToList(),
            OrganizationsChecked = plan.OrganizationsChecked,
            CommandsSent = plan.Incomplete.Count,
            Duration = duration,
        }, context.CancellationToken).ConfigureAwait(false);

        metrics.Reconciled(plan.OrganizationsChecked, plan.Incomplete.Count, duration);
        LogReconciled(logger, reconciliationId, scope, requests.Count, plan.OrganizationsChecked, plan.Incomplete.Count, duration.TotalMilliseconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation {ReconciliationId} scope {Scope} ({RequestCount} requests): {OrganizationsChecked} organizations checked, {CommandsSent} commands sent in {DurationMs:F1} ms")]
    private static partial void LogReconciled(ILogger logger, Guid reconciliationId, ReconciliationScope scope, int requestCount, int organizationsChecked, int commandsSent, double durationMs);
}
