using System.Text.Json;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Pause;

/// <summary>
/// Coder's own pause of prebuilds reconciliation (`coder prebuilds pause`: site_configs, key prebuilds_settings),
/// written with Coder's own upsert, honoured by the worker as a process on a real PostgreSQL and RabbitMQ.
/// </summary>
public sealed class CoderPauseTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    internal const string Paused = """{"reconciliation_paused":true}""";
    internal const string Resumed = """{"reconciliation_paused":false}""";

    [Fact]
    public async Task With_IgnoreCoderPause_the_worker_writes_while_Coder_has_paused()
    {
        await using var db = await server.CreateDatabaseAsync();
        await PauseAsync(db, Paused);
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Prebuilds:IgnoreCoderPause"] = "true",
            ["Schedule:RunAtStartup"] = "true",
        });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"converged while paused\n{worker.Output}");
        Assert.DoesNotContain("Coder has paused prebuilds reconciliation", worker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_says_paused_by_Coder_in_the_table_and_the_json_and_exits_3()
    {
        await using var db = await server.CreateDatabaseAsync();
        await db.Seed.OrganizationWithPrebuildsAsync();
        var settings = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString };
        Assert.Equal(1, (await CliRun.ExecuteAsync(settings, "status")).ExitCode); // not converged, not paused
        await PauseAsync(db, Paused);

        var table = await CliRun.ExecuteAsync(settings, "status");
        var json = await CliRun.ExecuteAsync(settings, "status", "--json");
        var ignored = await CliRun.ExecuteAsync(new Dictionary<string, string?>(settings) { ["Prebuilds:IgnoreCoderPause"] = "true" }, "status");

        Assert.Equal(3, table.ExitCode);
        Assert.Contains("paused by Coder: Coder's administrators have paused prebuilds reconciliation", table.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(3, json.ExitCode);
        using var document = JsonDocument.Parse(json.StandardOutput);
        Assert.True(document.RootElement.GetProperty("pausedByCoder").GetBoolean());
        Assert.Equal(1, ignored.ExitCode);
        Assert.Contains("paused by Coder, ignored: Prebuilds:IgnoreCoderPause=true", ignored.StandardOutput, StringComparison.Ordinal);

        await PauseAsync(db, Resumed);
        Assert.Equal(1, (await CliRun.ExecuteAsync(settings, "status")).ExitCode);
    }

    [Fact]
    public async Task The_gauge_reads_1_while_Coder_has_paused_and_0_once_it_resumed()
    {
        await using var db = await server.CreateDatabaseAsync();
        await PauseAsync(db, Paused);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var host = await WorkerHost.StartAsync(db, isolated.AmqpUri);
        using var metrics = new MetricRecorder(host.Services);

        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("prebuilds.reconciliation.paused") == 1), "the gauge reads 1 while paused");
        await PauseAsync(db, Resumed);
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("prebuilds.reconciliation.paused") == 0), "the gauge reads 0 once resumed", TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData(null, false)] // no row: Coder's default
    [InlineData("{}", false)]
    [InlineData("""{"reconciliation_paused":true}""", true)]
    [InlineData("""{"reconciliation_paused": false}""", false)]
    [InlineData("""{ "reconciliation_paused" : true }""", true)]
    [InlineData("""{"Reconciliation_Paused":true}""", true)] // Go's encoding/json matches keys without regard to case
    [InlineData("not json", false)] // never fails the status query
    public async Task The_pause_reads_as_Coder_decodes_its_setting(string? value, bool paused)
    {
        await using var db = await server.CreateDatabaseAsync();
        if (value is not null)
        {
            await PauseAsync(db, value);
        }

        Assert.Equal(paused, await db.ScalarAsync<bool>("SELECT prebuilds_messaging.coder_reconciliation_paused()"));
    }

    /// <summary>Coder's UpsertPrebuildsSettings, as coderd/database/queries/siteconfig.sql has it.</summary>
    internal static Task<int> PauseAsync(TestDatabase db, string value) => db.ExecuteAsync(
        """
        INSERT INTO site_configs (key, value) VALUES ('prebuilds_settings', @value)
        ON CONFLICT (key) DO UPDATE SET value = @value WHERE site_configs.key = 'prebuilds_settings'
        """, new { value });

    /// <summary>A request of that source was answered by a reconciliation held back by Coder's pause: it sent no command.</summary>
    internal static bool AnsweredWhilePaused(ExchangeRecorder requests, ExchangeRecorder completions, string source)
    {
        var ids = requests.Messages.Where(r => r.GetProperty("source").GetString() == source).Select(r => r.GetProperty("requestId").GetGuid()).ToHashSet();
        return completions.Messages.Any(c => c.GetProperty("pausedByCoder").GetBoolean() && c.GetProperty("commandsSent").GetInt32() == 0
            && c.GetProperty("requestIds").EnumerateArray().Any(id => ids.Contains(id.GetGuid())));
    }

    internal static IEnumerable<string> Lines(string output, string text) =>
        output.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal));
}
