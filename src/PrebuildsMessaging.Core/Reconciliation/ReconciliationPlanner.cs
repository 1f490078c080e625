using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>
/// Reconcile(scope): one status query, and the organizations that miss a membership, a group or a
/// group membership. A converged database costs exactly this one read.
/// </summary>
public sealed partial class ReconciliationPlanner(PrebuildStatusReader reader, IOptions<PrebuildsOptions> options, ILogger<ReconciliationPlanner> logger)
{
    /// <summary>The whole plan at once: every organization that misses something, held in memory.</summary>
    public async Task<ReconciliationPlan> PlanAsync(ReconciliationScope scope, CancellationToken cancellationToken)
    {
        var incomplete = new List<OrganizationPrebuildStatus>();
        var tally = await PlanInChunksAsync(scope, int.MaxValue, (chunk, _) =>
        {
            incomplete.AddRange(chunk);
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return new ReconciliationPlan(tally.OrganizationsChecked, incomplete, tally.PausedByCoder);
    }

    /// <summary>
    /// The plan as the rows stream in: each chunk of at most <paramref name="chunkSize"/> organizations that miss
    /// something is handed on before the next is read, so memory stays bounded however many organizations there are.
    /// While Coder has paused prebuilds reconciliation (and Prebuilds:IgnoreCoderPause is off), nothing is handed on:
    /// the tally says so, and the reconciliation that follows the resume does the work.
    /// </summary>
    public async Task<ReconciliationTally> PlanInChunksAsync(ReconciliationScope scope, int chunkSize,
        Func<IReadOnlyList<OrganizationPrebuildStatus>, CancellationToken, Task> onChunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var checkedCount = 0;
        var incompleteCount = 0;
        var chunk = new List<OrganizationPrebuildStatus>(Math.Min(chunkSize, 1024));
        var paused = false;
        var honour = !options.Value.IgnoreCoderPause;
        await foreach (var status in reader.StreamAsync(scope, p => paused = p, holdBackWhenPaused: honour, cancellationToken).ConfigureAwait(false))
        {
            if (paused && honour)
            {
                break;
            }

            checkedCount++;
            if (status.IsConverged)
            {
                continue;
            }

            incompleteCount++;
            chunk.Add(status);
            if (chunk.Count >= chunkSize)
            {
                await onChunk(chunk, cancellationToken).ConfigureAwait(false);
                chunk = new List<OrganizationPrebuildStatus>(Math.Min(chunkSize, 1024));
            }
        }

        if (chunk.Count > 0)
        {
            await onChunk(chunk, cancellationToken).ConfigureAwait(false);
        }

        LogPlanned(logger, scope, checkedCount, incompleteCount);
        return new ReconciliationTally(checkedCount, incompleteCount, paused && honour);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status query for scope {Scope}: {OrganizationsChecked} organizations with prebuilds, {OrganizationsIncomplete} need setup")]
    private static partial void LogPlanned(ILogger logger, ReconciliationScope scope, int organizationsChecked, int organizationsIncomplete);
}

/// <summary>What one status query counted: the organizations it checked, and how many of them miss something; or that Coder's pause held it back.</summary>
public sealed record ReconciliationTally(int OrganizationsChecked, int OrganizationsIncomplete, bool PausedByCoder = false);
