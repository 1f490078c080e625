using Dapper;
using Npgsql;

namespace PrebuildsMessaging.ChangeFeed;

/// <summary>A replica of the change feed as the database sees it: its name (process id and host), what it does, since when.</summary>
public sealed record ChangeFeedReplica(string Name, string State, DateTimeOffset Since);

/// <summary>
/// The change-feed replicas connected to this database, from pg_stat_activity: the one that streams (its walsender),
/// those standing by (waiting on the feed's advisory lock) and one that was elected and is creating its slot. A
/// replica that cannot reach the database is not seen here; its gauge and its log say why.
/// </summary>
public sealed class ChangeFeedReplicas(NpgsqlDataSource dataSource)
{
    /// <summary>Every change-feed connection carries this application name, then "{process id}@{host}".</summary>
    public const string ApplicationNamePrefix = "PrebuildsMessaging change feed ";

    public async Task<IReadOnlyList<ChangeFeedReplica>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var sessions = await connection.QueryAsync<(string Name, bool Walsender, bool Waiting, DateTime Started)>(new CommandDefinition(
            """
            SELECT application_name, backend_type = 'walsender', wait_event_type = 'Lock' AND wait_event = 'advisory', backend_start
            FROM pg_stat_activity
            WHERE datname = current_database() AND starts_with(application_name, @prefix)
            """, new { prefix = ApplicationNamePrefix }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return sessions
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(replica => replica.Any(s => s.Walsender)
                ? new ChangeFeedReplica(replica.Key[ApplicationNamePrefix.Length..], "streaming", Utc(replica.First(s => s.Walsender).Started))
                : new ChangeFeedReplica(replica.Key[ApplicationNamePrefix.Length..], replica.Any(s => s.Waiting) ? "standing_by" : "starting", Utc(replica.Min(s => s.Started))))
            .OrderBy(r => r.State == "streaming" ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
