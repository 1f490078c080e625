using System.Data.Common;
using Npgsql;

namespace PrebuildsMessaging.Core.Database;

/// <summary>
/// ConnectionStrings:Postgres as the service uses it, for its own pool and for Quartz's store: an application
/// name, and no DISCARD ALL when a pooled connection is reused (the service changes no session state, so a
/// converged pass is exactly one statement on the server). Whatever the operator set explicitly wins.
/// </summary>
public static class ServiceConnectionString
{
    public const string ApplicationName = "PrebuildsMessaging";

    public static string From(string connectionString)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var keys = given.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!keys.Contains("APPLICATIONNAME"))
        {
            builder.ApplicationName = ApplicationName;
        }

        if (!keys.Contains("NORESETONCLOSE"))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }
}
