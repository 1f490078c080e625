using Npgsql;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Database;

/// <summary>
/// `migrate` and the worker as a role made by sql/roles/least-privilege.sql, which has exactly the grants the
/// service needs: no CREATE on the database, no access to users, ownership of a schema made for it.
/// </summary>
public sealed class LeastPrivilegeTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public async Task Migrate_and_the_worker_run_as_the_least_privilege_role_and_converge()
    {
        await using var db = await CoderOnlyDatabaseAsync();
        var role = await LeastPrivilegeRoleAsync(db, runScript: true);
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);

        var migrate = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = role.ConnectionString }, "migrate");
        Assert.True(migrate.ExitCode == 0, migrate.StandardError + migrate.StandardOutput);
        var again = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = role.ConnectionString }, "migrate");
        Assert.True(again.ExitCode == 0, again.StandardError + again.StandardOutput);

        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = role.ConnectionString,
            ["Schedule:RunAtStartup"] = "true",
        });
        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), $"organization {org} converges as {role.Name}\n{worker.Output}");
        }

        // The role really is that small: it may not read users, nor Coder's site_configs (signing keys), nor create a
        // schema; it reads Coder's pause through a function that returns one boolean.
        Assert.False(await db.ScalarAsync<bool>("SELECT has_table_privilege(@role, 'users', 'SELECT')", new { role = role.Name }));
        Assert.False(await db.ScalarAsync<bool>("SELECT has_table_privilege(@role, 'site_configs', 'SELECT')", new { role = role.Name }));
        Assert.False(await db.ScalarAsync<bool>("SELECT has_database_privilege(@role, current_database(), 'CREATE')", new { role = role.Name }));
    }

    [Fact]
    public async Task Migrate_without_the_schema_says_in_one_line_what_the_administrator_must_do()
    {
        await using var db = await CoderOnlyDatabaseAsync();
        var role = await LeastPrivilegeRoleAsync(db, runScript: false);

        var migrate = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = role.ConnectionString }, "migrate");

        Assert.Equal(1, migrate.ExitCode);
        var line = Assert.Single(migrate.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("Failed:", StringComparison.Ordinal));
        Assert.Contains($"The schema prebuilds_messaging does not exist and role {role.Name} may not create it", line, StringComparison.Ordinal);
        Assert.Contains("sql/roles/least-privilege.sql", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", migrate.StandardError, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain(role.Password, migrate.StandardError + migrate.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_the_role_Coders_pause_is_honoured_without_seeing_site_configs_and_a_missing_function_is_named_in_one_line()
    {
        await using var db = await CoderOnlyDatabaseAsync();
        var role = await LeastPrivilegeRoleAsync(db, runScript: true);
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = role.ConnectionString };
        Assert.Equal(0, (await CliRun.ExecuteAsync(settings, "migrate")).ExitCode);
        await db.Seed.OrganizationWithPrebuildsAsync();
        await db.ExecuteAsync("INSERT INTO site_configs (key, value) VALUES ('prebuilds_settings', '{\"reconciliation_paused\":true}')");
        await db.ExecuteAsync("INSERT INTO site_configs (key, value) VALUES ('app_signing_key', 'secret')"); // Coder keeps keys here too

        Assert.Equal(3, (await CliRun.ExecuteAsync(settings, "status")).ExitCode);
        await using (var asRole = Npgsql.NpgsqlDataSource.Create(role.ConnectionString))
        await using (var connection = await asRole.OpenConnectionAsync())
        {
            Assert.True(await Dapper.SqlMapper.ExecuteScalarAsync<bool>(connection, "SELECT prebuilds_messaging.coder_reconciliation_paused()"));
            var denied = await Assert.ThrowsAsync<PostgresException>(() => Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT value FROM site_configs WHERE key = 'app_signing_key'"));
            Assert.Equal("42501", denied.SqlState);
        }

        await db.ExecuteAsync("DROP FUNCTION prebuilds_messaging.coder_reconciliation_paused()");
        var migrate = await CliRun.ExecuteAsync(settings, "migrate");
        Assert.Equal(1, migrate.ExitCode);
        var line = Assert.Single(migrate.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("Failed:", StringComparison.Ordinal));
        Assert.Contains("prebuilds_messaging.coder_reconciliation_paused()", line, StringComparison.Ordinal);
        Assert.Contains("sql/roles/coder-prebuilds-settings.sql", line, StringComparison.Ordinal);

        // A worker without it stops at start, saying what to run, instead of failing every pass into an error queue.
        var run = await CliRun.ExecuteAsync(new Dictionary<string, string?>(settings)
        {
            ["Bus:Transport"] = "InMemory",
            ["Schedule:Store"] = "InMemory",
            ["Health:Enabled"] = "false",
        }, "run");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Failed: The function prebuilds_messaging.coder_reconciliation_paused()", run.StandardError, StringComparison.Ordinal);

        await PsqlAsync(db, "-v", $"role={role.Name}", "-f", RepositoryFiles.Path("sql", "roles", "coder-prebuilds-settings.sql")); // the upgrade step
        Assert.Equal(0, (await CliRun.ExecuteAsync(settings, "migrate")).ExitCode);
        Assert.Equal(3, (await CliRun.ExecuteAsync(settings, "status")).ExitCode);
    }

    /// <summary>A database with Coder's tables and the prebuilds user, and none of the service's objects.</summary>
    private async Task<TestDatabase> CoderOnlyDatabaseAsync()
    {
        var db = await server.CreateDatabaseAsync();
        await db.ScalarAsync<int>("DROP SCHEMA prebuilds_messaging CASCADE; SELECT 1");
        return db;
    }

    private async Task<(string Name, string Password, string ConnectionString)> LeastPrivilegeRoleAsync(TestDatabase db, bool runScript)
    {
        var name = $"prebuilds_lp_{Guid.NewGuid():N}";
        var password = $"pw-{Guid.NewGuid():N}";
        if (runScript)
        {
            await PsqlAsync(db, "-v", $"role={name}", "-f", RepositoryFiles.Path("sql", "roles", "least-privilege.sql"));
        }
        else
        {
            await PsqlAsync(db, "-c", $"CREATE ROLE {name} LOGIN");
        }

        await PsqlAsync(db, "-c", $"ALTER ROLE {name} PASSWORD '{password}'");
        var connectionString = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = name, Password = password }.ConnectionString;
        return (name, password, connectionString);
    }

    private static Task PsqlAsync(TestDatabase db, params string[] args)
    {
        var admin = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        return Shell.RunAsync("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", .. args], new Dictionary<string, string?>
        {
            ["PGHOST"] = admin.Host,
            ["PGPORT"] = admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = admin.Username,
            ["PGDATABASE"] = admin.Database,
            ["PGPASSWORD"] = admin.Password,
        });
    }
}
