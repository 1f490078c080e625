using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// The latency of one change through the change feed, as an operator feels it: from the commit of a Coder-like
/// transaction (a new organization whose template gets a version with a prebuild preset) to the prebuilds user's
/// group membership in it, with the worker at its defaults, on Coder's schema holding 1,000,000 presets (by default) and the
/// recommended index. First one change at a time, then a steady stream. The server needs wal_level = logical.
/// </summary>
internal static class FeedLatencyBenchmark
{
    private const string Database = "prebuilds_feed";
    private const string SlotName = "prebuilds_bench_feed";
    private const int Warmup = 10;

    /// <summary>Latencies in milliseconds, sorted; the steady stream's rate as it was reached.</summary>
    public sealed record Result(long Presets, IReadOnlyList<double> OneAtATime, double SteadyRate, IReadOnlyList<double> Steady);

    public static async Task<Result> RunAsync(EndToEndSettings settings)
    {
        await using (var server = NpgsqlDataSource.Create(settings.AdminConnectionString))
        await using (var connection = await server.OpenConnectionAsync())
        {
            await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)");
            await connection.ExecuteAsync($"CREATE DATABASE {Database}");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(settings.AdminConnectionString) { Database = Database }.ConnectionString;
        Console.WriteLine($"Change feed: migrate --with-dev-schema --with-change-feed --with-recommended-index on {Database}");
        await BenchmarkWorker.MigrateAsync(settings.App, connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await LargeDatasetSeeder.SeedAsync(dataSource, settings.FeedOrganizations, templates: 10, versions: 10, presets: 50, prebuildEvery: 10);
        long presets;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 0);
            presets = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM template_version_presets");
        }

        var logPath = Path.Combine(Path.GetTempPath(), $"prebuilds-feed-latency-{Environment.ProcessId}.log");
        Console.WriteLine($"Change feed: the worker at its defaults, ChangeFeed:Enabled=true (log: {logPath})");
        await using var worker = await BenchmarkWorker.StartAsync(settings.App, connectionString, settings.RabbitMqUri, logPath, new Dictionary<string, string>
        {
            ["ChangeFeed:Enabled"] = "true",
            ["ChangeFeed:SlotName"] = SlotName,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:PrebuildsMessaging.Worker.ChangeFeed"] = "Information",
            ["Logging:LogLevel:PrebuildsMessaging.Worker.Reconciliation"] = "Information",
            ["Logging:LogLevel:PrebuildsMessaging.Worker.Ensure"] = "Information",
        });
        await Eventually.TrueAsync(() => Task.FromResult(worker.HasLogged("(snapshot)")), TimeSpan.FromSeconds(60), $"the change feed streaming (see {logPath})", TimeSpan.FromMilliseconds(50));

        // At idle means the server too: autovacuum catching up with the phases before, or a checkpoint still spreading
        // their writes, would slow every commit. Every database vacuumed, then a checkpoint.
        await using (var admin = NpgsqlDataSource.Create(settings.AdminConnectionString))
        {
            await IdleCost.SettleAsync(admin);
        }

        var oneAtATime = await OneAtATimeAsync(dataSource, settings.FeedChanges, logPath);
        var (rate, steady) = await SteadyAsync(dataSource, settings.FeedSteadyRate, settings.FeedSteady, logPath);
        return new Result(presets, oneAtATime, rate, steady);
    }

    /// <summary>Each change is committed once the one before it has converged.</summary>
    private static async Task<List<double>> OneAtATimeAsync(NpgsqlDataSource dataSource, int changes, string logPath)
    {
        await using var probe = await dataSource.OpenConnectionAsync();
        await using var writer = await dataSource.OpenConnectionAsync();
        var latencies = new List<double>(changes);
        for (var i = 0; i < Warmup + changes; i++)
        {
            var organization = await writer.ExecuteScalarAsync<Guid>(BenchmarkSql.Load("InsertOrganizationWithPreset")); // autocommit: one transaction
            var committed = Stopwatch.GetTimestamp();
            while ((await ConvergedAsync(probe, [organization])).Count == 0)
            {
                if (Stopwatch.GetElapsedTime(committed) > TimeSpan.FromSeconds(30))
                {
                    throw new InvalidOperationException($"Change {i} did not converge within 30 s; see {logPath}.");
                }

                await Task.Delay(1);
            }

            if (i >= Warmup)
            {
                latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
            }

            if ((i + 1 - Warmup) % 50 == 0 && i >= Warmup)
            {
                Console.WriteLine($"  change feed, one at a time: {i + 1 - Warmup} of {changes} changes measured");
            }
        }

        latencies.Sort();
        return latencies;
    }

    /// <summary>
    /// Changes at a steady rate from four writers, paced by the clock, for a while; each one's latency is read by a
    /// probe that looks every 5 ms which of the changes still pending have converged.
    /// </summary>
    private static async Task<(double Rate, List<double> Latencies)> SteadyAsync(NpgsqlDataSource dataSource, int rate, TimeSpan duration, string logPath)
    {
        var pending = new ConcurrentDictionary<Guid, long>();
        var latencies = new ConcurrentBag<double>();
        var total = (int)(rate * duration.TotalSeconds);
        var next = -1;
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"  change feed, steady: {rate} changes a second for {duration.TotalSeconds:F0} s");
        async Task WriteAsync()
        {
            await using var writer = await dataSource.OpenConnectionAsync();
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                var due = TimeSpan.FromSeconds(n / (double)rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                var organization = await writer.ExecuteScalarAsync<Guid>(BenchmarkSql.Load("InsertOrganizationWithPreset"));
                pending[organization] = Stopwatch.GetTimestamp();
            }
        }

        var writers = Task.WhenAll(Enumerable.Range(0, 4).Select(_ => WriteAsync()));
        var written = 0.0;
        await using (var probe = await dataSource.OpenConnectionAsync())
        {
            var deadline = Stopwatch.StartNew();
            while (!writers.IsCompleted || !pending.IsEmpty)
            {
                if (writers.IsCompleted && written == 0)
                {
                    written = clock.Elapsed.TotalSeconds;
                    deadline.Restart();
                }

                if (writers.IsCompleted && deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"{pending.Count} changes did not converge within 60 s of the last; see {logPath}.");
                }

                var looked = pending.Keys.ToList();
                if (looked.Count > 0)
                {
                    foreach (var organization in await ConvergedAsync(probe, looked))
                    {
                        if (pending.TryRemove(organization, out var committed))
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(committed).TotalMilliseconds);
                        }
                    }
                }

                await Task.Delay(5);
            }
        }

        await writers;
        var sorted = latencies.Order().ToList();
        return (total / written, sorted);
    }

    private static async Task<IReadOnlyList<Guid>> ConvergedAsync(NpgsqlConnection probe, IReadOnlyList<Guid> organizations) =>
        (await probe.QueryAsync<Guid>(
            "SELECT g.organization_id FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.organization_id = ANY (@organizations) AND gm.user_id = @user",
            new { organizations = organizations.ToArray(), user = PrebuildsOptions.CoderPrebuildsUserId })).ToList();

    public static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static string Describe(IReadOnlyList<double> sorted) => string.Create(CultureInfo.InvariantCulture,
        $"p50 {Percentile(sorted, 0.50):F1} ms, p95 {Percentile(sorted, 0.95):F1} ms, p99 {Percentile(sorted, 0.99):F1} ms, max {sorted[^1]:F1} ms");
}
