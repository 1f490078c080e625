namespace PrebuildsMessaging.Reconciliation;

/// <summary>What one status query found: how many organizations it checked and which of them miss something (none while Coder's pause holds it back).</summary>
public sealed record ReconciliationPlan(
    int OrganizationsChecked,
    IReadOnlyList<OrganizationPrebuildStatus> Incomplete,
    bool PausedByCoder = false);
