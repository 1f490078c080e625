namespace PrebuildsMessaging.Database;

/// <summary>How one idempotent insert ended.</summary>
internal enum InsertResult
{
    Inserted,

    /// <summary>A unique violation: the row is already there, which is success.</summary>
    AlreadyExists,

    OrganizationMissing,
    UserMissing,
    GroupMissing,
}
