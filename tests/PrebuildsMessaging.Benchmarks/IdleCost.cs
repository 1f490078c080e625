using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// What converged workers at idle cost Coder's database, between two scheduled passes: every statement on the
/// benchmark database (Quartz's and the BEGIN and COMMIT around them included), and the WAL the server wrote.
/// </summary>
internal static class IdleCost
{
    /// <summary>One window: its length, the workers, the statements (Quartz's among them), and the WAL.</summary>
    public sealed record Window(int Replicas, TimeSpan Duration, long Statements, long Quartz, long WalBytes, IReadOnlyList<(long Calls, string Text)> Detail)
    {
        public double PerMinute(long value) => value / Duration.TotalMinutes;

        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"{PerMinute(Statements),5:F1} statements a minute ({PerMinute(Quartz):F1} of them Quartz's), {PerMinute(WalBytes) / 1024:F1} KB of WAL a minute ({Replicas} worker{(Replicas == 1 ? "" : "s")}, {Duration.TotalSeconds:F0} s)");
    }

    /// <summary>
    /// Settles the server (its databases vacuumed and analyzed, so that autovacuum's own WAL stays out of the window),
    /// waits for the next scheduled pass of the workers, then measures a window that ends before the one after it.
    /// </summary>
    public static async Task<Window> MeasureAsync(NpgsqlDataSource admin, StatementStatistics statements, int replicas, TimeSpan length, TimeSpan timeout)
    {
        await SettleAsync(admin);
        var passes = await statements.CountAsync(StatusMarker) ?? 0;
        Console.WriteLine($"  idle, {replicas} worker(s): waiting for the next scheduled pass (Schedule:Interval, 5 min by default)");
        var waiting = Stopwatch.StartNew();
        while ((await statements.CountAsync(StatusMarker) ?? 0) == passes)
        {
            if (waiting.Elapsed > timeout)
            {
                throw new TimeoutException($"No scheduled pass within {timeout}.");
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        // Quartz's check-in and misfire scan come due at the same 5-minute marks as the firing: let them end too.
        await Task.Delay(TimeSpan.FromSeconds(15));
        Console.WriteLine($"  idle, {replicas} worker(s): measuring {length.TotalSeconds:F0} s after the pass, no events");
        await statements.ResetAsync();
        var walBefore = await ScalarAsync<string>(admin, "SELECT pg_current_wal_lsn()::text");
        var clock = Stopwatch.StartNew();
        await Task.Delay(length); // an idle period is measured over time itself: there is nothing else to wait on
        var wal = await ScalarAsync<long>(admin, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @walBefore::pg_lsn)::bigint", new { walBefore });
        var counts = await statements.CountAllAsync() ?? (0, 0, 0);
        return new Window(replicas, clock.Elapsed, counts.All - counts.Passes, counts.Quartz, wal, await statements.ListAllAsync());
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
