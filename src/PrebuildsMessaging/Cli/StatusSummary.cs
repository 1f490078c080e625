using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Reconciliation;

namespace PrebuildsMessaging.Cli;

/// <summary>The total line of <c>status</c>: organizations, how many converged, and how many rows are missing.</summary>
internal sealed record StatusSummary(int Organizations, int Converged, int MissingPieces)
{
    public static StatusSummary Of(IReadOnlyCollection<EnsureOrgPrebuildSetup> statuses) => new(
        statuses.Count,
        statuses.Count(s => StatusQuery.IsConverged(s)),
        statuses.Sum(s => (s.HasPrebuildUser ? 0 : 1) + (s.PrebuildsGroupId is null ? 1 : 0) + (s.HasPrebuildUserInGroup ? 0 : 1)));
}
