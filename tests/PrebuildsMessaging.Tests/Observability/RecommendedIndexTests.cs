using System.Text.Json;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Observability;

/// <summary>The recommended index, visible to the operator: a warning at start, a gauge, a hint from `status`.</summary>
public sealed class RecommendedIndexTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const string Gauge = "prebuilds.recommended_index.present";
    private const string Command = "PrebuildsMessaging migrate --with-recommended-index";

    [Fact]
    public async Task Without_the_index_the_worker_warns_once_and_the_gauge_reads_0_and_with_it_neither()
    {
        await using var db = await server.CreateDatabaseAsync(); // the template has no recommended index
        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        await using (var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri))
        {
            await Eventually.TrueAsync(() => Task.FromResult(worker.Output.Contains("prebuilds_messaging_presets_prebuilds_idx is missing", StringComparison.Ordinal)),
                "the warning");
            var warning = Assert.Single(worker.Output.Split('\n'), l => l.Contains("recommended index", StringComparison.Ordinal));
            Assert.Contains("reads every preset", warning, StringComparison.Ordinal);
            Assert.Contains(Command, warning, StringComparison.Ordinal);
        }

        await using (var host = await WorkerHost.StartAsync(db, isolated.AmqpUri))
        {
            using var metrics = new MetricRecorder(host.Services);
            await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge(Gauge) == 0), "the gauge reads 0");
        }

        var migrate = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString }, "migrate", "--with-recommended-index");
        Assert.True(migrate.ExitCode == 0, migrate.StandardError);

        await using (var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri))
        {
            await Eventually.TrueAsync(() => Task.FromResult(worker.Output.Contains("prebuilds_messaging_presets_prebuilds_idx is present", StringComparison.Ordinal)),
                "the index is seen");
            Assert.DoesNotContain("is missing", worker.Output, StringComparison.Ordinal);
        }

        await using (var host = await WorkerHost.StartAsync(db, isolated.AmqpUri))
        {
            using var metrics = new MetricRecorder(host.Services);
            await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge(Gauge) == 1), "the gauge reads 1");
        }
    }

    [Fact]
    public async Task Status_prints_a_hint_while_the_index_is_missing_and_none_once_it_is_there()
    {
        await using var db = await server.CreateDatabaseAsync();
        await db.Seed.OrganizationWithPrebuildsAsync();
        var env = new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString };

        var before = await CliRun.ExecuteAsync(env, "status", "--json");

        var hint = Assert.Single(before.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("hint: the recommended index prebuilds_messaging_presets_prebuilds_idx is missing", hint, StringComparison.Ordinal);
        Assert.EndsWith(Command, hint.Trim(), StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(before.StandardOutput))
        {
            Assert.Equal("absent", json.RootElement.GetProperty("recommendedIndex").GetString());
        }

        Assert.Equal(0, (await CliRun.ExecuteAsync(env, "migrate", "--with-recommended-index")).ExitCode);
        var after = await CliRun.ExecuteAsync(env, "status", "--json");

        Assert.DoesNotContain("hint:", after.StandardError, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(after.StandardOutput))
        {
            Assert.Equal("present", json.RootElement.GetProperty("recommendedIndex").GetString());
        }
    }
}
