using Npgsql;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Configuration;

/// <summary>
/// No password, connection string or URI with credentials reaches a log line or an error message: every
/// command is run with secrets in its settings and with something wrong, and all it printed is searched.
/// </summary>
public sealed class SecretsTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const string PostgresPassword = "pg-Secret-7f3a91";
    private const string RabbitPassword = "amqp-Secret-c2e84d";

    public static TheoryData<string, string, string, string, string> Cases() => new()
    {
        // what is wrong, command, setting, value, what the one line says
        { "a bad setting", "status", "Prebuilds:UserId", "not-a-guid", "Prebuilds:UserId" },
        { "a bad setting for the schedule", "run", "Schedule:Interval", "banana", "Schedule:Interval" },
        { "a bad setting for the worker", "run", "Bus:EnsureConcurrency", "0", "Bus:EnsureConcurrency" },
        { "a malformed RabbitMQ URI with a password", "reconcile", "ConnectionStrings:RabbitMq", $"amqp://guest:{RabbitPassword}@127.0.0.1:notaport/", "ConnectionStrings:RabbitMq" },
        { "a RabbitMQ URI of another scheme with a password", "errors", "ConnectionStrings:RabbitMq", $"http://guest:{RabbitPassword}@127.0.0.1/", "ConnectionStrings:RabbitMq" },
        { "a malformed PostgreSQL connection string", "status", "ConnectionStrings:Postgres", $"Host=127.0.0.1;Password={PostgresPassword};Bogus Key=1", "ConnectionStrings:Postgres" },
        // The server's own reason follows: 'role "nobody_here" does not exist', or with password authentication only 'password authentication failed'.
        { "a PostgreSQL role that does not exist", "status", "Username", "nobody_here", "Failed: PostgreSQL refused the login: " },
        { "a PostgreSQL role that does not exist, for migrate", "migrate", "Username", "nobody_here", "Failed: PostgreSQL refused the login" },
        { "a PostgreSQL server that is not there", "status", "Port", "1", "Failed: Cannot reach PostgreSQL (Failed to connect to {host}:1). Check the Host and Port of ConnectionStrings:Postgres" },
        { "a broker that refuses the password", "reconcile", "ConnectionStrings:RabbitMq", "", "Failed: RabbitMQ refused the login (ACCESS_REFUSED). Check the user and password of ConnectionStrings:RabbitMq." },
        { "a management API that refuses the password", "errors", "ConnectionStrings:RabbitMq", "", "Failed: RabbitMQ's management API refused the login (401)." },
    };

    /// <summary>The case that waits out reconcile's 20 s give-up on an unreachable broker.</summary>
    public static TheoryData<string, string, string, string, string> TimingCases() => new()
    {
        { "a broker that is not there", "reconcile", "ConnectionStrings:RabbitMq", "amqp://guest:" + RabbitPassword + "@127.0.0.1:1/", "Failed: Cannot reach RabbitMQ. Check the host and port of ConnectionStrings:RabbitMq" },
    };

    [Theory]
    [MemberData(nameof(TimingCases))]
    [Trait("Category", "Timing")]
    public Task A_command_that_gives_up_on_an_unreachable_broker_says_so_in_one_line_and_prints_no_secret(string what, string command, string setting, string value, string says) =>
        A_failing_command_says_what_is_wrong_in_one_line_and_prints_no_secret(what, command, setting, value, says);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_failing_command_says_what_is_wrong_in_one_line_and_prints_no_secret(string what, string command, string setting, string value, string says)
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var postgres = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Password = PostgresPassword };
        var rabbit = new UriBuilder(isolated.AmqpUri) { Password = RabbitPassword }.Uri.ToString(); // the broker refuses this password
        if (setting is "Username" or "Port")
        {
            postgres[setting] = value;
            setting = "ConnectionStrings:Postgres";
            value = postgres.ConnectionString;
        }

        var settings = isolated.CliEnvironment(db);
        settings["ConnectionStrings:Postgres"] = postgres.ConnectionString;
        settings["ConnectionStrings:RabbitMq"] = rabbit;
        if (value.Length > 0)
        {
            settings[setting] = value;
        }

        var run = await CliRun.ExecuteAsync(settings, command == "reconcile" ? ["reconcile", "--wait", "--timeout", "2s"] : [command]);

        says = says.Replace("{host}", postgres.Host, StringComparison.Ordinal); // 127.0.0.1, or a container's address
        var printed = run.StandardOutput + run.StandardError;
        Assert.NotEqual(0, run.ExitCode);
        Assert.True(run.StandardError.Contains(says, StringComparison.Ordinal), $"{what}: {run.StandardError}");
        Assert.DoesNotContain("   at ", printed, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain(PostgresPassword, printed, StringComparison.Ordinal);
        Assert.DoesNotContain(RabbitPassword, printed, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=", printed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("guest:", printed, StringComparison.Ordinal); // a URI with its user information
    }

    [Fact]
    public async Task A_running_worker_that_cannot_reach_its_database_logs_no_secret()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var postgres = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = "nobody_here", Password = PostgresPassword };
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = postgres.ConnectionString,
            ["Schedule:RunAtStartup"] = "true",
            ["Schedule:Store"] = "InMemory",
            ["Bus:RetryLimit"] = "0", // the failure is logged at once
            ["Logging:LogLevel:Default"] = "Debug",
        });

        await Eventually.TrueAsync(() => Task.FromResult(worker.Output.Contains("nobody_here", StringComparison.Ordinal)), "the refused login is logged");

        Assert.DoesNotContain(PostgresPassword, worker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=", worker.Output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("guest:", worker.Output, StringComparison.Ordinal);
    }
}
