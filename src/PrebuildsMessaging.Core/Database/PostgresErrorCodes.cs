namespace PrebuildsMessaging.Core.Database;

/// <summary>The PostgreSQL SQLSTATE codes this service acts on.</summary>
internal static class PostgresErrorCodes
{
    public const string UniqueViolation = "23505";
    public const string ForeignKeyViolation = "23503";
    public const string InsufficientPrivilege = "42501";
}
