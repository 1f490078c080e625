using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>pg_stat_statements for the benchmark database, when the server loads it.</summary>
internal sealed class StatementStatistics(NpgsqlDataSource? admin, string database)
{
    public static async Task<StatementStatistics> TryCreateAsync(NpgsqlDataSource admin, string database)
    {
        try
        {
            await using var connection = await admin.OpenConnectionAsync();
            await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_statements");
            return new StatementStatistics(admin, database);
        }
        catch (PostgresException ex)
        {
            Console.WriteLine($"pg_stat_statements is not available ({ex.MessageText}); statement counts will be n/a.");
            return new StatementStatistics(null, database);
        }
    }

    /// <summary>Whether the server loads pg_stat_statements (otherwise every count is null).</summary>
    public bool Available => admin is not null;

    public async Task ResetAsync()
    {
        if (admin is not null)
        {
            await using var connection = await admin.OpenConnectionAsync();
            await connection.ExecuteAsync("SELECT pg_stat_statements_reset()");
        }
    }

    /// <summary>
    /// Every statement on the benchmark database since the reset (BEGIN and COMMIT included), Quartz's among them,
    /// and the status queries of the scheduled passes.
    /// </summary>
    public async Task<(long All, long Quartz, long Passes)?> CountAllAsync()
    {
        if (admin is null)
        {
            return null;
        }

        await using var connection = await admin.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(long, long, long)>(
            """
            SELECT coalesce(sum(s.calls), 0)::bigint,
                   coalesce(sum(s.calls) FILTER (WHERE s.query ILIKE '%qrtz%'), 0)::bigint,
                   coalesce(sum(s.calls) FILTER (WHERE s.query LIKE '%OrganizationsWithPrebuildStatus :many%'), 0)::bigint
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = @database
            """, new { database });
    }

    /// <summary>Every statement on the benchmark database since the reset, the first 100 characters of each.</summary>
    public async Task<IReadOnlyList<(long Calls, string Text)>> ListAllAsync()
    {
        if (admin is null)
        {
            return [];
        }

        await using var connection = await admin.OpenConnectionAsync();
        return (await connection.QueryAsync<(long, string)>(
            """
            SELECT s.calls, left(regexp_replace(s.query, '\s+', ' ', 'g'), 100)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = @database ORDER BY s.calls DESC, 2
            """, new { database })).ToList();
    }

    /// <summary>What <see cref="CountAsync"/> counts, statement by statement (the first 100 characters of each).</summary>
    public async Task<IReadOnlyList<(long Calls, string Text)>> ListAsync()
    {
        if (admin is null)
        {
            return [];
        }

        await using var connection = await admin.OpenConnectionAsync();
        return (await connection.QueryAsync<(long, string)>(
            $"SELECT s.calls, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 100) {Filter} ORDER BY s.calls DESC", new { database, containing = (string?)null })).ToList();
    }

    private const string Filter =
        """
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = @database
          AND s.query NOT ILIKE '%qrtz%'
          -- Quartz's transactions around its own statements (the service runs none): BEGIN, COMMIT, ROLLBACK.
          AND s.query !~* '^\s*(BEGIN|COMMIT|ROLLBACK)'
          AND s.query NOT ILIKE '%count(*)::int FROM group_members%'
          AND s.query NOT ILIKE '%DELETE FROM group_members%'
          AND (@containing::text IS NULL OR strpos(s.query, @containing) > 0)
        """;

    /// <summary>Statements run in the benchmark database since the reset, less Quartz's and the benchmark's own.</summary>
    public async Task<long?> CountAsync(string? containing = null)
    {
        if (admin is null)
        {
            return null;
        }

        await using var connection = await admin.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT coalesce(sum(s.calls), 0)::bigint {Filter}", new { database, containing });
    }
}
