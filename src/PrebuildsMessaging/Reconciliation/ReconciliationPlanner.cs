using Microsoft.Extensions.Logging;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>
/// Reconcile(scope): one status query, and the organizations that miss a membership, a group or a
/// group membership. A converged database costs exactly this one read.
/// </summary>
public sealed partial class ReconciliationPlanner(PrebuildStatusReader reader, ILogger<ReconciliationPlanner> logger)
{
    public async Task<ReconciliationPlan> PlanAsync(ReconciliationScope scope, CancellationToken cancellationToken)
    {
        var statuses = await reader.ReadAsync(scope, cancellationToken).ConfigureAwait(false);
        var incomplete = statuses.Where(s => !s.IsConverged).ToList();
        LogPlanned(logger, scope, statuses.Count, incomplete.Count);
        return new ReconciliationPlan(statuses.Count, incomplete);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status query for scope {Scope}: {OrganizationsChecked} organizations with prebuilds, {OrganizationsIncomplete} need setup")]
    private static partial void LogPlanned(ILogger logger, ReconciliationScope scope, int organizationsChecked, int organizationsIncomplete);
}
