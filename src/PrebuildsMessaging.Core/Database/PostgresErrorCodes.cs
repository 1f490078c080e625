namespace PrebuildsMessaging.Core.Database;

/// <summary>The PostgreSQL SQLSTATE codes this service acts on by code (foreign-key violations it tells apart by constraint name, CoderForeignKeys).</summary>
internal static class PostgresErrorCodes
{
    public const string InsufficientPrivilege = "42501";
}
