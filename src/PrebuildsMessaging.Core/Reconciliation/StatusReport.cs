using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Core.Reconciliation;

/// <summary>What one status query read for `status`: whether Coder has paused prebuilds reconciliation, and every organization's row.</summary>
public sealed record StatusReport(bool PausedByCoder, IReadOnlyList<EnsureOrgPrebuildSetup> Organizations);
