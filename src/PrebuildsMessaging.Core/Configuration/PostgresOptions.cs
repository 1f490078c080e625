namespace PrebuildsMessaging.Core.Configuration;

/// <summary>The Coder database, from <c>ConnectionStrings:Postgres</c>.</summary>
public sealed class PostgresOptions
{
    public const string ConnectionStringName = "Postgres";
    public const string SettingName = "ConnectionStrings:" + ConnectionStringName;

    public string ConnectionString { get; set; } = "";
}
