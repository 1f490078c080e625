namespace PrebuildsMessaging.Database;

/// <summary>Coder's foreign-key constraint names on the tables this service inserts into, and what each violation means.</summary>
internal static class CoderForeignKeys
{
    /// <summary>The result a violation of this constraint stands for, or null for a constraint we do not know.</summary>
    public static InsertResult? MissingRow(string? constraintName) => constraintName switch
    {
        "organization_members_organization_id_uuid_fkey" or "groups_organization_id_fkey" => InsertResult.OrganizationMissing,
        "organization_members_user_id_uuid_fkey" or "group_members_user_id_fkey" => InsertResult.UserMissing,
        "group_members_group_id_fkey" => InsertResult.GroupMissing,
        _ => null,
    };
}
