namespace PrebuildsMessaging.Core.Ensure;

/// <summary>The row a foreign-key violation says is missing.</summary>
internal enum MissingRow
{
    Organization,
    User,
    Group,
}

/// <summary>Coder's foreign-key constraint names on the tables this service inserts into, and what each violation means.</summary>
internal static class CoderForeignKeys
{
    /// <summary>The row a violation of this constraint says is missing, or null for a constraint we do not know.</summary>
    public static MissingRow? MissingRow(string? constraintName) => constraintName switch
    {
        "organization_members_organization_id_uuid_fkey" or "groups_organization_id_fkey" => Ensure.MissingRow.Organization,
        "organization_members_user_id_uuid_fkey" or "group_members_user_id_fkey" => Ensure.MissingRow.User,
        "group_members_group_id_fkey" => Ensure.MissingRow.Group,
        _ => null,
    };
}
