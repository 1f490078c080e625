using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Worker.Schedule;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// Cold convergence, as an operator feels it after a deploy or a restore: N unconfigured organizations, a worker
/// started just before, and one <c>PrebuildsMessaging reconcile</c> process, timed from that process's start to the
/// last group membership. Then, from the same unconfigured state, Coder's loop driven by psql and, optionally, by C#.
/// Each round starts a new worker, so that every round is cold.
/// </summary>
internal static class ColdRounds
{
    /// <summary>One round: the worker's time and what each process spent meanwhile, and the loops' times.</summary>
    public sealed record Round(double WorkerSeconds, TimeSpan WorkerCpu, double WorkerJitSeconds, double WorkerGcPauseSeconds, TimeSpan BrokerCpu, TimeSpan DatabaseCpu,
        long WorkerPeakRss, double PsqlSeconds, double? LoopSeconds);

    /// <summary>
    /// The round's worker: as it ships, but with no scheduled pass while the rounds last (the trigger is stored from the
    /// first round's start, and the rounds on one database take well under a day).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> RoundSettings = new Dictionary<string, string>
    {
        [$"{ScheduleOptions.SectionName}:{nameof(ScheduleOptions.Interval)}"] = "1.00:00:00",
    };

    /// <summary>
    /// Runs the rounds on a database of its own; returns them, and with <paramref name="keepLastWorker"/> a worker
    /// started afterwards on the database converged again (the caller disposes it).
    /// </summary>
    public static async Task<(List<Round> Rounds, BenchmarkWorker? Worker)> RunAsync(EndToEndSettings settings, string database, int organizations, int rounds,
        bool withCSharpLoop, string amqpUri, bool keepLastWorker)
    {
        var prebuilds = new PrebuildsOptions();
        var connectionString = await CreateDatabaseAsync(settings.AdminConnectionString, database, organizations);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var results = new List<Round>();
        BenchmarkWorker? kept = null;
        for (var round = 1; round <= rounds; round++)
        {
            if (round > 1)
            {
                await ResetAsync(dataSource, prebuilds);
            }

            var logPath = Path.Combine(Path.GetTempPath(), $"prebuilds-e2e-worker-{database}-{round}.log");
            // The round measures the operator's reconcile alone: the schedule's own pass (every 5 minutes by default, from
            // a trigger stored in the database across rounds) would otherwise land inside some rounds and not others, a
            // second pass over the same organizations on top of the one measured.
            var worker = await BenchmarkWorker.StartAsync(settings.App, connectionString, amqpUri, logPath, RoundSettings);
            try
            {
                var cpuBefore = worker.CpuTime;
                var runtimeBefore = await worker.RuntimeTimesAsync();
                var brokerCpuBefore = ProcessCpu.Of("beam.smp");
                var databaseCpuBefore = ProcessCpu.Of("postgres");
                var clock = Stopwatch.StartNew();
                await BenchmarkWorker.ReconcileAsync(settings.App, connectionString, amqpUri);
                await WaitForGroupMembersAsync(dataSource, organizations, settings.Timeout, $"{organizations:N0}, round {round}, worker");
                var workerSeconds = clock.Elapsed.TotalSeconds;
                var workerCpu = worker.CpuTime - cpuBefore;
                var runtimeAfter = await worker.RuntimeTimesAsync();
                var brokerCpu = ProcessCpu.Of("beam.smp") - brokerCpuBefore;
                var databaseCpu = ProcessCpu.Of("postgres") - databaseCpuBefore;
                var peakRss = worker.PeakRssBytes;
                await worker.DisposeAsync(); // not there while the loops run: its schedule could fire meanwhile

                await ResetAsync(dataSource, prebuilds);
                Console.WriteLine($"  {organizations:N0}, round {round}, psql loop: running");
                var psqlSeconds = await CoderLoops.PsqlAsync(settings.Psql, connectionString, prebuilds);
                await WaitForGroupMembersAsync(dataSource, organizations, TimeSpan.Zero, $"{organizations:N0}, round {round}, psql loop");
                double? loopSeconds = null;
                if (withCSharpLoop)
                {
                    await ResetAsync(dataSource, prebuilds);
                    loopSeconds = await CoderLoops.CSharpAsync(dataSource, prebuilds, organizations, $"{organizations:N0}, round {round}, C# loop");
                }

                var result = new Round(workerSeconds, workerCpu, runtimeAfter.JitSeconds - runtimeBefore.JitSeconds,
                    runtimeAfter.GcPauseSeconds - runtimeBefore.GcPauseSeconds, brokerCpu, databaseCpu, peakRss, psqlSeconds, loopSeconds);
                var csharp = loopSeconds is { } l ? string.Create(CultureInfo.InvariantCulture, $", C# loop {organizations / l:F0}/s ({l / workerSeconds:F2}x)") : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {organizations:N0}, round {round}: worker {organizations / workerSeconds:F0}/s, psql loop {organizations / psqlSeconds:F0}/s ({psqlSeconds / workerSeconds:F2}x){csharp}"));
                results.Add(result);
            }
            catch
            {
                await worker.DisposeAsync();
                throw;
            }
        }

        if (keepLastWorker)
        {
            // A worker for what follows, on the database converged again.
            await ResetAsync(dataSource, prebuilds);
            kept = await BenchmarkWorker.StartAsync(settings.App, connectionString, amqpUri, Path.Combine(Path.GetTempPath(), $"prebuilds-e2e-worker-{database}.log"));
            await BenchmarkWorker.ReconcileAsync(settings.App, connectionString, amqpUri);
            await WaitForGroupMembersAsync(dataSource, organizations, settings.Timeout, $"{organizations:N0}, converged again for what follows");

            // The last rows can land before the pass logs its line: what follows counts the worker's passes.
            await Eventually.TrueAsync(() => Task.FromResult(kept.Reconciliations >= 1), settings.Timeout, "the worker logging the pass that converged it again");
        }

        return (results, kept);
    }

    public static string ConnectionString(string adminConnectionString, string database) =>
        new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;

    public static async Task<string> CreateDatabaseAsync(string adminConnectionString, string database, int organizations)
    {
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await admin.ExecuteAsync($"CREATE DATABASE {database}");
        }

        var connectionString = ConnectionString(adminConnectionString, database);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(dataSource, Microsoft.Extensions.Options.Options.Create(new PostgresOptions { ConnectionString = connectionString }), [new QuartzSchema()], NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);
        Console.WriteLine($"Seeding {organizations:N0} unconfigured organizations (one template, version and preset with prebuilds each) in {database}");
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(BenchmarkSql.Load("SeedUnconfiguredOrganizations"), new { Organizations = organizations }, transaction, commandTimeout: 0);
            await transaction.CommitAsync();
            await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 0);
        }

        return connectionString;
    }

    public static async Task DropDatabaseAsync(NpgsqlDataSource admin, string database)
    {
        await using var connection = await admin.OpenConnectionAsync();
        await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
    }

    /// <summary>Takes the prebuilds setup away again, as it was before the round.</summary>
    public static async Task ResetAsync(NpgsqlDataSource dataSource, PrebuildsOptions prebuilds)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var (query, table) in new[] { ("DeletePrebuildsGroupMembers", "group_members"), ("DeletePrebuildsGroups", "groups"), ("DeletePrebuildsOrganizationMembers", "organization_members") })
        {
            await connection.ExecuteAsync(BenchmarkSql.Query("ResetPrebuildsSetup", query), new { prebuilds.UserId, prebuilds.GroupName }, commandTimeout: 0);
            await connection.ExecuteAsync($"VACUUM ANALYZE {table}", commandTimeout: 0);
        }
    }

    /// <summary>Waits until every organization has its group membership, printing each tenth; a zero timeout looks once.</summary>
    public static async Task WaitForGroupMembersAsync(NpgsqlDataSource dataSource, int expected, TimeSpan timeout, string what)
    {
        var lastReported = -1;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            int done;
            await using (var connection = await dataSource.OpenConnectionAsync())
            {
                done = await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM group_members");
            }

            var decile = done * 10 / expected;
            if (decile != lastReported && timeout > TimeSpan.Zero)
            {
                Console.WriteLine($"  {what}: {done:N0}/{expected:N0} organizations converged");
                lastReported = decile;
            }

            if (done >= expected)
            {
                return;
            }

            if (deadline.Elapsed >= timeout)
            {
                throw new TimeoutException($"{what}: {done:N0} of {expected:N0} organizations converged after {timeout}.");
            }

            await Task.Delay(20);
        }
    }
}
