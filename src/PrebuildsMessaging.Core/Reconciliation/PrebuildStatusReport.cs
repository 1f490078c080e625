namespace PrebuildsMessaging.Reconciliation;

/// <summary>What one status query read: whether Coder has paused prebuilds reconciliation, and every organization's status.</summary>
public sealed record PrebuildStatusReport(bool PausedByCoder, IReadOnlyList<OrganizationPrebuildStatus> Organizations);
