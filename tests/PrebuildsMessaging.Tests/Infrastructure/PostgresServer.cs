using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Worker.Schedule;
using Testcontainers.PostgreSql;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run: the one named by PREBUILDS_TEST_POSTGRES (test.sh
/// starts one natively), or else a Testcontainers container. A template database gets Coder's
/// development schema and our migrations once; every test then gets its own copy of it, so test classes
/// run in parallel. A class fixture: every class shares the one server of the test process, which is
/// cleaned up when the process exits.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "PREBUILDS_TEST_POSTGRES";

    /// <summary>The image Testcontainers runs when no server is given: postgres:15, or e.g. prebuilds-messaging/postgres:15.</summary>
    public const string ImageEnvironmentVariable = "PREBUILDS_TEST_POSTGRES_IMAGE";

    private static readonly Lazy<Task<Server>> Shared = new(Server.StartAsync);

    private Server server = null!;

    public string AdminConnectionString => server.AdminConnectionString;

    public async Task InitializeAsync() => server = await Shared.Value;

    public Task DisposeAsync() => Task.CompletedTask;

    public string ConnectionStringFor(string database) => server.ConnectionStringFor(database);

    /// <summary>A fresh database with Coder's tables, the prebuilds user and our migrations.</summary>
    public async Task<TestDatabase> CreateDatabaseAsync(bool fromTemplate = true)
    {
        var name = $"prebuilds_test_{Guid.NewGuid():N}";
        await server.ExecuteAdminAsync(fromTemplate ? $"CREATE DATABASE {name} TEMPLATE {server.TemplateName}" : $"CREATE DATABASE {name}");

        return new TestDatabase(this, name, ConnectionStringFor(name));
    }

    /// <summary>An outage of one database: new connections are refused and open ones are ended; or its end.</summary>
    public async Task SetDatabaseAvailableAsync(string name, bool available)
    {
        await server.ExecuteAdminAsync($"ALTER DATABASE {name} ALLOW_CONNECTIONS {(available ? "true" : "false")}");
        if (!available)
        {
            await server.ExecuteAdminAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()");
        }
    }

    public Task DropDatabaseAsync(string name) => server.DropDatabaseAsync(name);

    /// <summary>Runs one statement as the administrator, on the administrator's database.</summary>
    public Task ExecuteAdminAsync(string sql) => server.ExecuteAdminAsync(sql);

    private sealed class Server
    {
        private PostgreSqlContainer? container;

        public string AdminConnectionString { get; private set; } = "";
        public string TemplateName { get; } = $"prebuilds_template_{Guid.NewGuid():N}";

        public static async Task<Server> StartAsync()
        {
            var server = new Server();
            await server.StartContainerUnlessGivenAsync();
            await server.ExecuteAdminAsync($"CREATE DATABASE {server.TemplateName}");
            await using (var dataSource = NpgsqlDataSource.Create(server.ConnectionStringFor(server.TemplateName)))
            {
                var migrator = new DatabaseMigrator(dataSource, Microsoft.Extensions.Options.Options.Create(new PostgresOptions { ConnectionString = server.ConnectionStringFor(server.TemplateName) }), [new QuartzSchema()], NullLogger<DatabaseMigrator>.Instance);
                await migrator.MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);
            }

            // CREATE DATABASE ... TEMPLATE needs the template to have no open connections.
            NpgsqlConnection.ClearAllPools();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopAsync().GetAwaiter().GetResult();
            return server;
        }

        private async Task StartContainerUnlessGivenAsync()
        {
            var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment))
            {
                AdminConnectionString = fromEnvironment;
                return;
            }

            try
            {
                // The official image, or the one built from Debian's packages (compose/images/build.sh postgres); logical WAL for the change feed.
                container = new PostgreSqlBuilder(Environment.GetEnvironmentVariable(ImageEnvironmentVariable) ?? "postgres:15")
                    .WithCommand("-c", "wal_level=logical", "-c", "max_replication_slots=32", "-c", "max_wal_senders=16", "-c", "max_connections=300")
                    .Build();
                await container.StartAsync();
                AdminConnectionString = container.GetConnectionString();
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException(
                    $"No PostgreSQL for the tests: set {EnvironmentVariable} to an admin connection string, run ./test.sh (which starts one), " +
                    $"or provide a Docker engine that can run {Environment.GetEnvironmentVariable(ImageEnvironmentVariable) ?? "postgres:15"} ({ImageEnvironmentVariable}).", ex);
            }
        }

        public string ConnectionStringFor(string database) =>
            new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database, Pooling = true }.ConnectionString;

        /// <summary>Drops a database, and first any replication slot of it (a slot keeps its database from being dropped).</summary>
        public async Task DropDatabaseAsync(string name)
        {
            // A slot still streaming to a worker that was just stopped: end its sender, and wait for the slot to let go.
            await Eventually.TrueAsync(async () =>
            {
                await ExecuteAdminAsync($"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '{name}' AND active");
                await ExecuteAdminAsync($"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{name}' AND NOT active");
                return !await ExistsAsync($"SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE database = '{name}')");
            }, $"the replication slots of {name} are dropped", TimeSpan.FromSeconds(15));
            await ExecuteAdminAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }

        private async Task<bool> ExistsAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            return (bool)(await command.ExecuteScalarAsync())!;
        }

        public async Task ExecuteAdminAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        private async Task StopAsync()
        {
            await DropDatabaseAsync(TemplateName);
            if (container is not null)
            {
                await container.DisposeAsync();
            }
        }
    }
}
