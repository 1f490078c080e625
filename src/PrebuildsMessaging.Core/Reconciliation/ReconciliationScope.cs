namespace PrebuildsMessaging.Core.Reconciliation;

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

    /// <summary>The scope of one request: its organizations, or all when it names none.</summary>
    public static ReconciliationScope Of(IReadOnlyCollection<Guid>? organizationIds) =>
        organizationIds is null || !organizationIds.Any(id => id != Guid.Empty) ? All : For(organizationIds);

    /// <summary>The union of several scopes: any "all" makes it all.</summary>
    public static ReconciliationScope Union(IEnumerable<ReconciliationScope> scopes)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        var ids = new List<Guid>();
        foreach (var scope in scopes)
        {
            if (scope.IsAll)
            {
                return All;
            }

            ids.AddRange(scope.OrganizationIds!);
        }

        return ids.Count == 0 ? All : For(ids);
    }

    /// <summary>"all", or the organization ids: at most ten, then how many there are in all.</summary>
    public override string ToString()
    {
        const int shown = 10;
        if (IsAll)
        {
            return "all";
        }

        var ids = OrganizationIds!;
        return ids.Count <= shown
            ? string.Join(",", ids)
            : $"{string.Join(",", ids.Take(shown))},… ({ids.Count} organizations)";
    }
}
