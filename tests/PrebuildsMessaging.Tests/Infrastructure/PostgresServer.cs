using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PrebuildsMessaging.Database.Migrations;
using Testcontainers.PostgreSql;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run: the one named by PREBUILDS_TEST_POSTGRES (test.sh
/// starts one natively), or else a Testcontainers container. A template database gets Coder's
/// development schema and our migrations once; every test then gets its own copy of it.
/// Tests of one xunit collection run one at a time, so database creation never races.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "PREBUILDS_TEST_POSTGRES";

    private PostgreSqlContainer? container;
    private string templateName = "";

    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            AdminConnectionString = fromEnvironment;
        }
        else
        {
            try
            {
                container = new PostgreSqlBuilder("postgres:15").Build();
                await container.StartAsync();
                AdminConnectionString = container.GetConnectionString();
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException(
                    $"No PostgreSQL for the tests: set {EnvironmentVariable} to an admin connection string, run ./test.sh (which starts one), " +
                    "or provide a Docker engine that can run postgres:15.", ex);
            }
        }

        templateName = $"prebuilds_template_{Guid.NewGuid():N}";
        await ExecuteAdminAsync($"CREATE DATABASE {templateName}");
        var templateConnectionString = ConnectionStringFor(templateName);
        await using (var dataSource = NpgsqlDataSource.Create(templateConnectionString))
        {
            var migrator = new DatabaseMigrator(dataSource, [new PrebuildsMessaging.Scheduling.QuartzSchema()], NullLogger<DatabaseMigrator>.Instance);
            await migrator.MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);
        }

        // CREATE DATABASE ... TEMPLATE needs the template to have no open connections.
        NpgsqlConnection.ClearAllPools();
    }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = true }.ConnectionString;

    /// <summary>A fresh database with Coder's tables, the prebuilds user and our migrations.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(bool fromTemplate = true)
    {
        var name = $"prebuilds_test_{Guid.NewGuid():N}";
        await ExecuteAdminAsync(fromTemplate ? $"CREATE DATABASE {name} TEMPLATE {templateName}" : $"CREATE DATABASE {name}");

        return new TestDatabase(this, name, ConnectionStringFor(name));
    }

    /// <summary>An outage of one database: new connections are refused and open ones are ended; or its end.</summary>
    public async Task SetDatabaseAvailableAsync(string name, bool available)
    {
        await ExecuteAdminAsync($"ALTER DATABASE {name} ALLOW_CONNECTIONS {(available ? "true" : "false")}");
        if (!available)
        {
            await ExecuteAdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()");
        }
    }

    public async Task DropDatabaseAsync(string name) => await ExecuteAdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");

    private async Task ExecuteAdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (!string.IsNullOrEmpty(templateName))
        {
            NpgsqlConnection.ClearAllPools();
            await DropDatabaseAsync(templateName);
        }

        if (container is not null)
        {
            await container.DisposeAsync();
        }

    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>, ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "postgres";
}
