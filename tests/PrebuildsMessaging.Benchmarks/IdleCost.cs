using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// What converged workers at idle cost Coder's database, the scheduled passes aside: every statement on the
/// benchmark database (Quartz's and the BEGIN and COMMIT around them included), and the WAL the server wrote, over a
/// window as long as the slowest of the workers' periodic work (Quartz's check-in and misfire scan, every 10 minutes),
/// so that the window holds each of them whatever its phase. Each scheduled pass inside the window is cut out: from a
/// few seconds before its firing is due to a few seconds after its status query.
/// </summary>
internal static class IdleCost
{
    /// <summary>One window: its length less the passes cut out, the workers, the statements (Quartz's among them), the WAL, the passes cut out.</summary>
    public sealed record Window(int Replicas, TimeSpan Duration, long Statements, long Quartz, long WalBytes, int PassesCut, long PassStatements,
        IReadOnlyList<(long Calls, string Text)> Detail)
    {
        public double PerMinute(long value) => value / Duration.TotalMinutes;

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{PerMinute(Statements),5:F1} statements a minute ({PerMinute(Quartz):F1} of them Quartz's), {PerMinute(WalBytes) / 1024:F1} KB of WAL a minute ({Replicas} worker{(Replicas == 1 ? "" : "s")}, {Duration.TotalSeconds:F0} s; {PassesCut} scheduled pass{(PassesCut == 1 ? "" : "es")} cut out, {PassStatements} statements)");
    }

    private static readonly TimeSpan BeforeFiring = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AfterPass = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits until Quartz's clustered store lists only the running workers (a worker stopped before, as the cold
    /// rounds stop theirs, stays listed until a running one recovers it, 10 to 20 minutes later: a one-off, not idle
    /// cost); settles the server (its databases vacuumed and analyzed, so that autovacuum's own WAL stays out of the
    /// window); waits for the next scheduled pass of the workers; then measures a window of <paramref name="length"/>
    /// from 15 s after it, the passes of every <paramref name="interval"/> inside it cut out.
    /// </summary>
    public static async Task<Window> MeasureAsync(NpgsqlDataSource admin, NpgsqlDataSource database, StatementStatistics statements, int replicas, TimeSpan length, TimeSpan interval, TimeSpan timeout)
    {
        await WaitForRunningInstancesOnlyAsync(database, replicas);
        await SettleAsync(admin);
        Console.WriteLine($"  idle, {replicas} worker(s): waiting for the next scheduled pass (Schedule:Interval, {interval.TotalMinutes:F0} min by default)");
        await WaitForPassAsync(statements, timeout);
        var lastPass = Stopwatch.GetTimestamp();

        // The firing's own bookkeeping ends a moment after the status query: let it end too.
        await Task.Delay(TimeSpan.FromSeconds(15));
        Console.WriteLine($"  idle, {replicas} worker(s): measuring {length.TotalSeconds:F0} s after the pass, no events, the scheduled passes cut out");
        await statements.ResetAsync();
        var walBefore = await ScalarAsync<string>(admin, "SELECT pg_current_wal_lsn()::text");
        var clock = Stopwatch.StartNew();
        var cut = TimeSpan.Zero;
        long passStatements = 0, passQuartz = 0, passWal = 0;
        var passes = 0;
        while (true)
        {
            // The interval trigger fires every interval after the one seen; cut from a little before that.
            var untilCut = interval - BeforeFiring - Stopwatch.GetElapsedTime(lastPass);
            var cutStart = clock.Elapsed + (untilCut > TimeSpan.Zero ? untilCut : TimeSpan.Zero);
            if (cutStart >= length)
            {
                break;
            }

            await Task.Delay(cutStart - clock.Elapsed); // the idle period itself: there is nothing to wait on but time
            var before = await statements.CountAllAsync() ?? (0, 0, 0);
            var walAtCut = await ScalarAsync<string>(admin, "SELECT pg_current_wal_lsn()::text");
            var cutClock = Stopwatch.StartNew();
            await WaitForPassAsync(statements, TimeSpan.FromMinutes(2));
            lastPass = Stopwatch.GetTimestamp();
            await Task.Delay(AfterPass);
            var after = await statements.CountAllAsync() ?? (0, 0, 0);
            passWal += await ScalarAsync<long>(admin, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @walAtCut::pg_lsn)::bigint", new { walAtCut });
            cut += cutClock.Elapsed;
            passStatements += after.All - before.All;
            passQuartz += after.Quartz - before.Quartz;
            passes++;
        }

        if (length > clock.Elapsed)
        {
            await Task.Delay(length - clock.Elapsed);
        }
        var wal = await ScalarAsync<long>(admin, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @walBefore::pg_lsn)::bigint", new { walBefore });
        var counts = await statements.CountAllAsync() ?? (0, 0, 0);
        var measured = clock.Elapsed - cut;
        return new Window(replicas, measured, counts.All - passStatements, counts.Quartz - passQuartz, wal - passWal, passes, passStatements,
            await statements.ListAllAsync());
    }

    /// <summary>Until a status query of all organizations (a scheduled pass) has run since this was called.</summary>
    private static async Task WaitForPassAsync(StatementStatistics statements, TimeSpan timeout)
    {
        var passes = await statements.CountAsync(StatusMarker) ?? 0;
        await Eventually.TrueAsync(async () => (await statements.CountAsync(StatusMarker) ?? 0) != passes, timeout, "a scheduled pass", TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Until the clustered store's instances are the <paramref name="replicas"/> running workers: Quartz recovers a
    /// stopped one at the first check-in of a running one that finds it silent for its check-in interval (10 min) and
    /// 7.5 s, so at most twice that interval after the stop.
    /// </summary>
    private static async Task WaitForRunningInstancesOnlyAsync(NpgsqlDataSource database, int replicas)
    {
        var limit = TimeSpan.FromMinutes(25);
        var clock = Stopwatch.StartNew();
        var reported = -1L;
        await Eventually.TrueAsync(async () =>
        {
            var stopped = await ScalarAsync<long>(database, "SELECT count(*) FROM prebuilds_messaging.qrtz_scheduler_state") - replicas;
            if (stopped > 0 && (stopped != reported || clock.Elapsed.TotalSeconds % 60 < 5))
            {
                Console.WriteLine($"  idle, {replicas} worker(s): {stopped} stopped worker(s) still in Quartz's clustered store, waiting for their recovery ({clock.Elapsed.TotalMinutes:F0} of at most {limit.TotalMinutes:F0} min)");
                reported = stopped;
            }

            return stopped <= 0;
        }, limit, "Quartz's clustered store listing only the running workers", TimeSpan.FromSeconds(5));
    }

    private const string StatusMarker = "GetAllOrganizationsWithPrebuildStatus :many";

    /// <summary>VACUUM ANALYZE in every database that takes connections, so that autovacuum finds nothing left to do; then a checkpoint.</summary>
    public static async Task SettleAsync(NpgsqlDataSource admin)
    {
        List<string> databases;
        await using (var connection = await admin.OpenConnectionAsync())
        {
            databases = (await connection.QueryAsync<string>("SELECT datname FROM pg_database WHERE datallowconn")).ToList();
        }

        foreach (var database in databases)
        {
            var builder = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = database, Pooling = false };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync();
            await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 0);
        }

        // And a checkpoint, so that none started by what ran before is still writing while the window runs.
        await using var checkpoint = admin.CreateCommand("CHECKPOINT");
        await checkpoint.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException($"no value: {sql}");
    }
}
