namespace PrebuildsMessaging.Database;

/// <summary>What a foreign-key violation on one of our inserts says is missing.</summary>
internal enum MissingReference
{
    Unknown,
    Organization,
    User,
    Group,
}

/// <summary>Coder's foreign-key constraint names on the tables this service inserts into.</summary>
internal static class CoderForeignKeys
{
    public static MissingReference Classify(string? constraintName) => constraintName switch
    {
        "organization_members_organization_id_uuid_fkey" or "groups_organization_id_fkey" => MissingReference.Organization,
        "organization_members_user_id_uuid_fkey" or "group_members_user_id_fkey" => MissingReference.User,
        "group_members_group_id_fkey" => MissingReference.Group,
        _ => MissingReference.Unknown,
    };
}
