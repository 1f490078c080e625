namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>What kind of row change the feed saw.</summary>
public enum ChangeKind
{
    Insert,
    Update,
    Delete,
}

/// <summary>One row change of a transaction: the table, the kind, and the column values the feed carries (text).</summary>
public sealed record RowChange(string Table, ChangeKind Kind, IReadOnlyDictionary<string, string?> Values);

/// <summary>
/// What a committed transaction of Coder's asks for: the organizations to reconcile, the template versions whose
/// organization must be looked up first, or every organization (a change that names none, e.g. a deleted group).
/// </summary>
public sealed record ChangeFeedNeeds(IReadOnlySet<Guid> Organizations, IReadOnlySet<Guid> TemplateVersions, bool All)
{
    public bool IsEmpty => !All && Organizations.Count == 0 && TemplateVersions.Count == 0;

    /// <summary>
    /// The changes that can create a need: a preset that asks for prebuilds (insert, or update of desired_instances);
    /// a template version attached to a template (template_id set); the prebuilds user's organization membership
    /// deleted; a group deleted (its row carries only its id, so: every organization). A preset's organization is
    /// that of its version when the same transaction wrote the version, and otherwise looked up afterwards.
    /// </summary>
    public static ChangeFeedNeeds Of(IEnumerable<RowChange> changes, Guid prebuildsUserId)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var organizations = new HashSet<Guid>();
        var versions = new HashSet<Guid>();
        var all = false;
        // The organization of a version written in the same transaction (Coder creates a version and its presets
        // together) is known without asking the database.
        var versionOrganizations = new Dictionary<Guid, Guid>();
        foreach (var change in changes)
        {
            if (change is { Table: "template_versions", Kind: ChangeKind.Insert or ChangeKind.Update }
                && GuidOf(change, "id") is { } id && GuidOf(change, "organization_id") is { } owner)
            {
                versionOrganizations[id] = owner;
            }
        }

        foreach (var change in changes)
        {
            switch (change.Table, change.Kind)
            {
                case ("template_version_presets", ChangeKind.Insert or ChangeKind.Update)
                    when Value(change, "desired_instances") is not null && GuidOf(change, "template_version_id") is { } version:
                    if (versionOrganizations.TryGetValue(version, out var known))
                    {
                        organizations.Add(known);
                    }
                    else
                    {
                        versions.Add(version);
                    }

                    break;
                case ("template_versions", ChangeKind.Insert or ChangeKind.Update)
                    when Value(change, "template_id") is not null && GuidOf(change, "organization_id") is { } organization:
                    organizations.Add(organization);
                    break;
                case ("organization_members", ChangeKind.Delete)
                    when GuidOf(change, "user_id") == prebuildsUserId && GuidOf(change, "organization_id") is { } organization:
                    organizations.Add(organization);
                    break;
                case ("groups", ChangeKind.Delete):
                    all = true;
                    break;
            }
        }

        return new ChangeFeedNeeds(organizations, versions, all);
    }

    private static string? Value(RowChange change, string column) => change.Values.TryGetValue(column, out var value) ? value : null;

    private static Guid? GuidOf(RowChange change, string column) => Guid.TryParse(Value(change, column), out var id) ? id : null;
}
