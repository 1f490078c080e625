using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Messaging.Consumers;

/// <summary>
/// Writes what one organization misses, then publishes OrgPrebuildSetupEnsured. A duplicate,
/// redelivered or week-old replayed command is safe: rows already there are unique violations,
/// which the ensurer counts as success. A command for another user or group than the one configured
/// (an old message replayed after a configuration change) is not written; the organization is
/// reconciled afresh instead.
/// </summary>
public sealed partial class EnsureOrgPrebuildSetupConsumer(
    OrgPrebuildSetupEnsurer ensurer,
    IOptions<PrebuildsOptions> options,
    TimeProvider timeProvider,
    PrebuildsMetrics metrics,
    ILogger<EnsureOrgPrebuildSetupConsumer> logger) : IConsumer<EnsureOrgPrebuildSetup>
{
    public async Task Consume(ConsumeContext<EnsureOrgPrebuildSetup> context)
    {
        var command = context.Message;
        if (command.OrganizationId == Guid.Empty)
        {
            throw new InvalidMessageException("EnsureOrgPrebuildSetup has no organizationId.");
        }

        var prebuilds = options.Value;
        if (command.UserId != prebuilds.UserId || !string.Equals(command.GroupName, prebuilds.GroupName, StringComparison.Ordinal))
        {
            LogSuperseded(logger, command.OrganizationId, command.ReconciliationId);
            await context.Publish(ReconcileRequests.For(command.OrganizationId, ReconcileSources.Replay, timeProvider, nameof(EnsureOrgPrebuildSetup)))
                .ConfigureAwait(false);
            await context.Publish(new OrgPrebuildSetupEnsured
            {
                OrganizationId = command.OrganizationId,
                ReconciliationId = command.ReconciliationId,
                Outcome = EnsureOutcomes.Superseded,
            }).ConfigureAwait(false);
            metrics.Ensured(EnsureOutcomes.Superseded, false, false, false, 0);
            return;
        }

        var status = new OrganizationPrebuildStatus(command.OrganizationId, command.OrganizationName, command.HasPrebuildUser,
            command.PrebuildsGroupId, command.HasPrebuildUserInGroup);
        OrgSetupOutcome outcome;
        try
        {
            outcome = await ensurer.EnsureAsync(status, context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            metrics.EnsureFailed(ex);
            throw;
        }

        var outcomeName = outcome.Result == OrgSetupResult.OrganizationGone ? EnsureOutcomes.OrganizationGone : EnsureOutcomes.Ensured;

        await context.Publish(new OrgPrebuildSetupEnsured
        {
            OrganizationId = outcome.OrganizationId,
            ReconciliationId = command.ReconciliationId,
            MembershipCreated = outcome.MembershipCreated,
            GroupCreated = outcome.GroupCreated,
            GroupMembershipCreated = outcome.GroupMembershipCreated,
            UniqueViolationsTolerated = outcome.UniqueViolationsTolerated,
            Outcome = outcomeName,
        }).ConfigureAwait(false);
        metrics.Ensured(outcomeName, outcome.MembershipCreated, outcome.GroupCreated, outcome.GroupMembershipCreated, outcome.UniqueViolationsTolerated);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "EnsureOrgPrebuildSetup for organization {OrganizationId} (reconciliation {ReconciliationId}) names another prebuilds user or group than configured; requesting a fresh reconciliation of the organization instead")]
    private static partial void LogSuperseded(ILogger logger, Guid organizationId, Guid reconciliationId);
}
