namespace PrebuildsMessaging.Reconciliation;

/// <summary>What one status query found: how many organizations it checked and which of them miss something.</summary>
public sealed record ReconciliationPlan(
    int OrganizationsChecked,
    IReadOnlyList<OrganizationPrebuildStatus> Incomplete);
