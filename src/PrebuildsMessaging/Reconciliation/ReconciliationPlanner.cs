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
        // Streamed: only the organizations that miss something are held.
        var checkedCount = 0;
        var incomplete = new List<OrganizationPrebuildStatus>();
        await foreach (var status in reader.StreamAsync(scope, cancellationToken).ConfigureAwait(false))
        {
            checkedCount++;
            if (!status.IsConverged)
            {
                incomplete.Add(status);
            }
        }

        LogPlanned(logger, scope, checkedCount, incomplete.Count);
        return new ReconciliationPlan(checkedCount, incomplete);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status query for scope {Scope}: {OrganizationsChecked} organizations with prebuilds, {OrganizationsIncomplete} need setup")]
    private static partial void LogPlanned(ILogger logger, ReconciliationScope scope, int organizationsChecked, int organizationsIncomplete);
}
