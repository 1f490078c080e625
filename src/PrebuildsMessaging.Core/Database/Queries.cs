namespace PrebuildsMessaging.Database;

/// <summary>The names of the embedded queries, one per file under sql/queries/.</summary>
internal static class Queries
{
    public static string GetOrganizationsWithPrebuildStatus => EmbeddedSql.Query(nameof(GetOrganizationsWithPrebuildStatus));
    public static string GetAllOrganizationsWithPrebuildStatus => EmbeddedSql.Query(nameof(GetAllOrganizationsWithPrebuildStatus));
    public static string InsertOrganizationMember => EmbeddedSql.Query(nameof(InsertOrganizationMember));
    public static string InsertGroup => EmbeddedSql.Query(nameof(InsertGroup));
    public static string InsertGroupMember => EmbeddedSql.Query(nameof(InsertGroupMember));
    public static string GetGroupByOrgAndName => EmbeddedSql.Query(nameof(GetGroupByOrgAndName));
    public static string InsertOrganizationMembers => EmbeddedSql.Query(nameof(InsertOrganizationMembers));
    public static string InsertGroups => EmbeddedSql.Query(nameof(InsertGroups));
    public static string GetGroupsByOrgsAndName => EmbeddedSql.Query(nameof(GetGroupsByOrgsAndName));
    public static string InsertGroupMembers => EmbeddedSql.Query(nameof(InsertGroupMembers));
    public static string GetCoderPause => EmbeddedSql.Query(nameof(GetCoderPause));
}
