using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>
/// The fault soak: three workers with the change feed on, a 3-node RabbitMQ cluster with quorum queues, PostgreSQL
/// with logical WAL; Coder-like writes at a steady rate and a burst of events every minute, while faults drawn from
/// the seed hit the processes, the nodes and the database. At the end every fault is healed and the checks run
/// (<see cref="SoakReport"/>). Exit code 1 when a check fails.
/// </summary>
internal static class SoakRun
{
    public static async Task<int> RunAsync(SoakSettings settings)
    {
        Directory.CreateDirectory(settings.OutputDirectory);
        var plan = SoakFaultPlan.Create(settings.Seed, settings.Duration);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Soak: seed {settings.Seed}, {settings.Duration.TotalMinutes:F0} min, {settings.Rate} transactions a second, {settings.BurstEvents} events a burst every {settings.BurstEvery.TotalSeconds:F0} s, {plan.Count} faults planned; logs in {settings.OutputDirectory}"));
        foreach (var fault in plan)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  plan {fault.At:mm\\:ss} {fault}"));
        }

        var connectionString = await PrepareDatabaseAsync(settings);
        var workerConnection = new NpgsqlConnectionStringBuilder(connectionString) { Username = SoakSettings.WorkerRole }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var clock = Stopwatch.StartNew();
        var workload = new SoakWorkload(settings, dataSource, clock);
        await workload.SeedAsync();
        await using var workers = new SoakWorkers(settings, workerConnection, clock);
        await workers.StartAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed:mm\\:ss} {SoakSettings.Workers} workers started"));
        clock.Restart(); // the schedule's times count from here

        using var faults = new SoakFaults(settings, workers, dataSource, clock);
        var checker = new SoakChecker(settings, dataSource, faults, clock);
        var bursts = new SoakBursts(settings, workload, clock);
        using var end = new CancellationTokenSource();
        using var checking = new CancellationTokenSource();
        var writing = workload.RunAsync(end.Token);
        var bursting = bursts.RunAsync(end.Token);
        var injecting = faults.RunAsync(plan, end.Token);
        var watching = checker.RunAsync(checking.Token);
        while (clock.Elapsed < settings.Duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(60, Math.Max(0.1, (settings.Duration - clock.Elapsed).TotalSeconds))));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {clock.Elapsed:mm\\:ss} progress: {workload.Transactions:N0} transactions ({workload.Retried} retried), {faults.Records.Count} faults, {checker.Unconverged} organizations unconverged now, {checker.Violations.Count} violations, {workload.Failures.Count} of Coder's writes failed"));
        }

        // The end: every fault healed (a paused worker resumed, a stopped node started, a killed worker started again),
        // the workload stopped; then every organization that needs the setup must converge within 15 s.
        await end.CancelAsync();
        await Task.WhenAll(writing, bursting, injecting);
        var healed = clock.Elapsed;
        await checking.CancelAsync();
        await watching;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {healed:mm\\:ss} every fault healed, the workload stopped; waiting for convergence"));
        var converged = await checker.WaitConvergedAsync(healed, TimeSpan.FromSeconds(120));

        var result = new SoakReport.Result(settings, plan, faults.Records, healed, converged);
        await FinalChecksAsync(settings, dataSource, workload, checker, workers, result);
        var report = SoakReport.Write(result, workload, checker, workers, bursts);
        await File.WriteAllTextAsync(Path.Combine(settings.OutputDirectory, "report.txt"), report);
        Console.WriteLine(report);
        return result.Passed ? 0 : 1;
    }

    private static async Task<string> PrepareDatabaseAsync(SoakSettings settings)
    {
        await using (var admin = NpgsqlDataSource.Create(settings.AdminConnectionString))
        await using (var connection = await admin.OpenConnectionAsync())
        {
            await connection.ExecuteAsync($"DROP DATABASE IF EXISTS {SoakSettings.Database} WITH (FORCE)");
            await connection.ExecuteAsync($"CREATE DATABASE {SoakSettings.Database}");
            await connection.ExecuteAsync(
                $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{SoakSettings.WorkerRole}') THEN CREATE ROLE {SoakSettings.WorkerRole} LOGIN SUPERUSER; END IF; END $$");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(settings.AdminConnectionString) { Database = SoakSettings.Database }.ConnectionString;
        Console.WriteLine($"Soak: migrate --with-dev-schema --with-change-feed --with-recommended-index on {SoakSettings.Database}");
        await BenchmarkWorker.MigrateAsync(settings.App, connectionString);

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var soak = await dataSource.OpenConnectionAsync();
        await soak.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        await soak.ExecuteAsync(BenchmarkSql.Query("SoakChecks", "CreateAuditSlot"), new { Slot = SoakChecker.AuditSlot });
        return connectionString;
    }

    private static async Task FinalChecksAsync(SoakSettings settings, NpgsqlDataSource dataSource, SoakWorkload workload, SoakChecker checker, SoakWorkers workers, SoakReport.Result result)
    {
        var prebuilds = new PrebuildsOptions();
        var amqp = RabbitMqConnection.Parse(settings.AmqpUri(0));
        using var management = new RabbitMqManagementClient(amqp, settings.ManagementPorts.Select(p => new Uri($"http://127.0.0.1:{p}/")).ToList());

        // Every message consumed: nothing ready or unacknowledged in the service's queues (at most 2 minutes).
        var draining = Stopwatch.StartNew();
        while (draining.Elapsed < TimeSpan.FromMinutes(2))
        {
            var waiting = 0L;
            foreach (var queue in QueueNames.All)
            {
                var json = await management.QueueAsync(queue, CancellationToken.None);
                waiting += json.TryGetProperty("messages", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Number ? m.GetInt64() : 0;
            }

            result.WaitingMessages = waiting;
            if (waiting == 0)
            {
                break;
            }

            await Task.Delay(500);
        }

        foreach (var queue in await management.ErrorQueueNamesAsync(CancellationToken.None))
        {
            var json = await management.QueueAsync(queue, CancellationToken.None);
            var count = json.TryGetProperty("messages", out var m) && m.ValueKind == System.Text.Json.JsonValueKind.Number ? m.GetInt64() : 0;
            if (count > 0)
            {
                foreach (var message in await management.PeekAsync(queue, 20, CancellationToken.None))
                {
                    var badInput = message.ExceptionType?.EndsWith(nameof(InvalidMessageException), StringComparison.Ordinal) == true;
                    result.ErrorQueueMessages.Add((queue, badInput, $"{message.MessageType}: {message.ExceptionType}: {message.ExceptionMessage}"));
                }
            }
        }

        await checker.ReadAuditAsync();
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            result.Counts = await connection.QuerySingleAsync<SoakReport.Counts>(BenchmarkSql.Query("SoakChecks", "Counts"), new { prebuilds.UserId, prebuilds.GroupName });
            result.SetupWhereNotNeeded = (await connection.QueryAsync<(Guid, bool)>(BenchmarkSql.Query("SoakChecks", "SetupWhereNotNeeded"),
                new { prebuilds.UserId, prebuilds.GroupName, NeverNeeded = workload.NeverNeeded.ToArray() })).ToList();
        }

        // At idle, converged: the workers' statements over a window, against the scheduled passes in it.
        if (settings.Idle > TimeSpan.Zero)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  idle: measuring the workers' statements for {settings.Idle.TotalSeconds:F0} s"));
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteAsync("SELECT pg_stat_statements_reset()");
            var before = await connection.ExecuteScalarAsync<long>(BenchmarkSql.Query("SoakChecks", "ScheduledFirings"));
            var window = Stopwatch.StartNew();
            await Task.Delay(settings.Idle); // an idle window is measured over time itself: there is nothing to wait on
            var after = await connection.ExecuteScalarAsync<long>(BenchmarkSql.Query("SoakChecks", "ScheduledFirings"));
            result.IdleWindow = window.Elapsed;
            result.IdlePasses = after == before ? 0 : (int)Math.Max(1, Math.Round((after - before) / (double)TimeSpan.FromMinutes(5).Ticks));
            result.IdleStatements = (await connection.QueryAsync<(long, string, string)>(BenchmarkSql.Query("SoakChecks", "WorkerStatements"), new { Role = SoakSettings.WorkerRole })).ToList();
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(BenchmarkSql.Query("SoakChecks", "DropAuditSlot"), new { Slot = SoakChecker.AuditSlot });
        }

        result.Evaluate(workload, checker, workers);
    }
}
