namespace PrebuildsMessaging.Reconciliation;

/// <summary>Which organizations a reconciliation looks at: all of them, or a given set.</summary>
public sealed class ReconciliationScope
{
    private ReconciliationScope(IReadOnlyCollection<Guid>? organizationIds) => OrganizationIds = organizationIds;

    public static ReconciliationScope All { get; } = new(null);

    /// <summary>The organizations asked for; null means every organization.</summary>
    public IReadOnlyCollection<Guid>? OrganizationIds { get; }

    public bool IsAll => OrganizationIds is null;

    public static ReconciliationScope For(IEnumerable<Guid> organizationIds)
    {
        ArgumentNullException.ThrowIfNull(organizationIds);
        var ids = organizationIds.Where(id => id != Guid.Empty).Distinct().Order().ToArray();
        if (ids.Length == 0)
        {
            throw new ArgumentException("A scoped reconciliation needs at least one non-empty organization id; use ReconciliationScope.All for every organization.", nameof(organizationIds));
        }

        return new ReconciliationScope(ids);
    }

    public override string ToString() => IsAll ? "all" : string.Join(",", OrganizationIds!);
}
