using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// The latency of one change through the change feed, as an operator feels it: from the commit of a Coder-like
/// transaction (a new organization whose template gets a version with a prebuild preset) to the prebuilds user's
/// group membership in it, one change at a time, with the worker at its defaults and the recommended index.
/// Prints p50, p95, p99 and the maximum. The server needs wal_level = logical (feed-latency.sh starts one).
/// </summary>
internal static class FeedLatencyBenchmark
{
    private const string Usage = "feed-latency --connection CS --rabbitmq URI [--changes 200] [--warmup 10] [--database prebuilds_feed]";
    private const string SlotName = "prebuilds_bench_feed";
    private static readonly Guid PrebuildsUser = new("c42fdf75-3097-471c-8c33-fb52454d81c0");

    public static async Task RunAsync(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        var admin = values.GetValueOrDefault("--connection") ?? throw new ArgumentException($"--connection is required. Usage: {Usage}");
        var amqp = values.GetValueOrDefault("--rabbitmq") ?? throw new ArgumentException($"--rabbitmq is required. Usage: {Usage}");
        var changes = int.Parse(values.GetValueOrDefault("--changes") ?? "200", CultureInfo.InvariantCulture);
        var warmup = int.Parse(values.GetValueOrDefault("--warmup") ?? "10", CultureInfo.InvariantCulture);
        var database = values.GetValueOrDefault("--database") ?? "prebuilds_feed";

        await using (var server = NpgsqlDataSource.Create(admin))
        await using (var connection = await server.OpenConnectionAsync())
        {
            await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await connection.ExecuteAsync($"CREATE DATABASE {database}");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
        Console.WriteLine($"==> migrate --with-dev-schema --with-change-feed --with-recommended-index on {database}");
        await MigrateAsync(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(BenchmarkSql.Load("SeedOrganizations"), new { Organizations = 0 }); // the template author
        }

        var logPath = Path.Combine(Path.GetTempPath(), $"prebuilds-feed-latency-{Environment.ProcessId}.log");
        Console.WriteLine($"==> the worker at its defaults, ChangeFeed:Enabled=true (log: {logPath})");
        await using var worker = await BenchmarkWorker.StartAsync(connectionString, amqp, logPath, new Dictionary<string, string>
        {
            ["ChangeFeed:Enabled"] = "true",
            ["ChangeFeed:SlotName"] = SlotName,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:PrebuildsMessaging.ChangeFeed"] = "Information",
        });
        var streaming = Stopwatch.StartNew();
        while (!worker.HasLogged("(snapshot)"))
        {
            if (streaming.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new InvalidOperationException($"The change feed did not start streaming within 60 s; see {logPath}.");
            }

            await Task.Delay(50);
        }

        await using var probe = await dataSource.OpenConnectionAsync();
        await using var writer = await dataSource.OpenConnectionAsync();
        var latencies = new List<double>(changes);
        for (var i = 0; i < warmup + changes; i++)
        {
            var organization = await writer.ExecuteScalarAsync<Guid>(BenchmarkSql.Load("InsertOrganizationWithPreset")); // autocommit: one transaction
            var committed = Stopwatch.GetTimestamp();
            while (!await probe.ExecuteScalarAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.organization_id = @organization AND gm.user_id = @user)",
                new { organization, user = PrebuildsUser }))
            {
                if (Stopwatch.GetElapsedTime(committed) > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"Change {i} did not converge within 30 s; see {logPath}.");
                }
            }

            if (i >= warmup)
            {
                latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
            }

            if ((i + 1) % 50 == 0)
            {
                Console.WriteLine($"    {i + 1 - Math.Min(i + 1, warmup)} of {changes} changes measured");
            }
        }

        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"feed latency, commit to the last row, {changes} changes one at a time: p50 {Percentile(latencies, 0.50):F1} ms, p95 {Percentile(latencies, 0.95):F1} ms, " +
            $"p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms, mean {latencies.Average():F1} ms"));
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static async Task MigrateAsync(string connectionString)
    {
        var info = new ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "PrebuildsMessaging.dll"), "migrate", "--with-dev-schema", "--with-change-feed", "--with-recommended-index"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start migrate");
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"migrate failed: {await errors}");
        }
    }
}
