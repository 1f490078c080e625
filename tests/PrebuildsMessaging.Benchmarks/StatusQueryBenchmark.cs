using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Core.Database;
using PrebuildsMessaging.Core.Reconciliation;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// Times the status query, full (GetAllOrganizationsWithPrebuildStatus) and scoped (GetOrganizationsWithPrebuildStatus),
/// beside Coder's own query shape, without and then with the recommended index.
/// </summary>
internal static partial class StatusQueryBenchmark
{
    public static async Task RunAsync(BenchmarkSettings settings, string connectionString)
    {
        // Pooled as the service pools its connections (no DISCARD ALL on reuse).
        await using var dataSource = NpgsqlDataSource.Create(ServiceConnectionString.From(connectionString));
        var reader = new StatusQuery(dataSource, Options.Create(new PrebuildsOptions()), Microsoft.Extensions.Logging.Abstractions.NullLogger<StatusQuery>.Instance);
        await using var connection = await dataSource.OpenConnectionAsync();
        var withPrebuilds = await connection.QuerySingleAsync<Guid>("SELECT id FROM organizations WHERE name = 'bench-org-00001'");
        var withoutPrebuilds = await connection.QuerySingleAsync<Guid>("SELECT id FROM organizations WHERE name = 'bench-org-00005'");
        var presets = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM template_version_presets");
        var asking = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM template_version_presets WHERE desired_instances IS NOT NULL");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{presets:N0} presets, {asking:N0} with desired_instances; {settings.Iterations} timed runs per case after 3 warm-ups"));

        await connection.ExecuteAsync("DROP INDEX IF EXISTS prebuilds_messaging_presets_prebuilds_idx");
        var cases = new (string Name, ReconciliationScope Scope)[]
        {
            ("full (all organizations)", ReconciliationScope.All),
            ("scoped, 1 org with prebuilds", ReconciliationScope.For([withPrebuilds])),
            ("scoped, 1 org without prebuilds", ReconciliationScope.For([withoutPrebuilds])),
        };

        Console.WriteLine();
        Console.WriteLine("| query | index | rows | median ms | p95 ms | min ms | server planning + execution ms | presets access |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var withIndex in new[] { false, true })
        {
            if (withIndex)
            {
                var sw = Stopwatch.StartNew();
                await new DatabaseMigrator(dataSource, Microsoft.Extensions.Options.Options.Create(new PostgresOptions { ConnectionString = connectionString }), [], NullLogger<DatabaseMigrator>.Instance)
                    .MigrateAsync(new MigrationRequest(WithRecommendedIndex: true), CancellationToken.None);
                await connection.ExecuteAsync("ANALYZE template_version_presets", commandTimeout: 0);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"(built the recommended index in {sw.Elapsed.TotalSeconds:F1} s)"));
            }

            // Coder's own query shape, full (it has no scope), run the same way for comparison.
            var coder = BenchmarkSql.Load("CoderStatusQueryShape");
            var parameters = new { UserId = PrebuildsOptions.CoderPrebuildsUserId, GroupName = PrebuildsOptions.CoderPrebuildsGroupName };
            await ReportAsync("Coder's query shape, full", withIndex, settings.Iterations,
                async () => (await connection.QueryAsync(coder, parameters, commandTimeout: 0)).Count(),
                () => ExplainAsync(connection, coder, parameters));

            foreach (var (name, scope) in cases)
            {
                await ReportAsync(name, withIndex, settings.Iterations,
                    async () => (await reader.ReadAsync(scope, CancellationToken.None)).Organizations.Count,
                    () => ExplainAsync(connection, scope));
            }
        }
    }

    /// <summary>Three warm-ups, then timed runs, then EXPLAIN ANALYZE; one table row.</summary>
    private static async Task ReportAsync(string name, bool withIndex, int iterations, Func<Task<int>> run, Func<Task<(double ExecutionMs, string PresetsAccess)>> explain)
    {
        var rows = 0;
        for (var i = 0; i < 3; i++)
        {
            rows = await run();
        }

        var timings = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await run();
            timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        timings.Sort();
        var (execution, access) = await explain();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {(withIndex ? "yes" : "no")} | {rows} | {timings[timings.Count / 2]:F2} | {timings[(int)Math.Ceiling(timings.Count * 0.95) - 1]:F2} | {timings[0]:F2} | {execution:F2} | {access} |"));
    }

    private static Task<(double ExecutionMs, string PresetsAccess)> ExplainAsync(NpgsqlConnection connection, ReconciliationScope scope) =>
        ExplainAsync(connection, EmbeddedSql.Query("Reconciliation/sql/GetOrganizationsWithPrebuildStatus.sql", scope.IsAll ? "GetAllOrganizationsWithPrebuildStatus" : "GetOrganizationsWithPrebuildStatus"), new
        {
            UserId = PrebuildsOptions.CoderPrebuildsUserId,
            GroupName = PrebuildsOptions.CoderPrebuildsGroupName,
            OrganizationIds = scope.OrganizationIds?.ToArray(),
            HoldBackWhenPaused = false,
        });

    /// <summary>Server execution plus planning time, and how the presets were reached.</summary>
    private static async Task<(double ExecutionMs, string PresetsAccess)> ExplainAsync(NpgsqlConnection connection, string query, object parameters)
    {
        var plan = (await connection.QueryAsync<string>("EXPLAIN (ANALYZE, BUFFERS) " + query, parameters, commandTimeout: 0)).ToList();
        var execution = plan.Select(l => ExecutionTime().Match(l)).Where(m => m.Success)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        var access = plan.Select(l => l.Trim()).FirstOrDefault(l => l.Contains("on template_version_presets", StringComparison.Ordinal)) ?? "?";
        access = access.Replace("->", "", StringComparison.Ordinal).Split(" (", 2)[0].Trim();
        return (execution, access);
    }


    [GeneratedRegex(@"(?:Execution|Planning) Time: ([0-9.]+) ms")]
    private static partial Regex ExecutionTime();
}
