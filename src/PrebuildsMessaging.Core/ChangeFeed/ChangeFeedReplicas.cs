using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>A replica of the change feed as the database sees it: its name (process id and host), what it does, since when.</summary>
public sealed record ChangeFeedReplica(string Name, string State, DateTimeOffset? Since);

/// <summary>
/// The change-feed replicas connected to this database, from pg_stat_activity: the one that streams (its walsender),
/// those standing by (waiting on the feed's advisory lock) and one that was elected and is creating its slot. A
/// replica that cannot reach the database is not seen here; its gauge and its log say why.
/// </summary>
public sealed class ChangeFeedReplicas(NpgsqlDataSource dataSource)
{
    /// <summary>Every change-feed connection carries this application name, then "{process id}@{host}".</summary>
    public const string ApplicationNamePrefix = "PrebuildsMessaging change feed ";

    /// <summary>The replicas of this database; the one streaming is the one whose walsender is the slot's active process.</summary>
    public async Task<IReadOnlyList<ChangeFeedReplica>> ReadAsync(string slotName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Another role's sessions show no backend type, wait event or start (without pg_read_all_stats): those read as
        // "unknown" rather than as a state they are not.
        var sessions = await connection.QueryAsync<(string Name, bool? Streaming, bool? Waiting, DateTime? Started)>(new CommandDefinition(
            """
            SELECT a.application_name,
                   CASE WHEN a.backend_type IS NULL THEN NULL ELSE a.pid = s.active_pid END,
                   CASE WHEN a.backend_type IS NULL THEN NULL ELSE coalesce(a.wait_event_type = 'Lock' AND a.wait_event = 'advisory', false) END,
                   a.backend_start
            FROM pg_stat_activity a
            LEFT JOIN pg_replication_slots s ON s.slot_name = @slotName AND s.active
            WHERE a.datname = current_database() AND starts_with(a.application_name, @prefix)
            """, new { prefix = ApplicationNamePrefix, slotName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return sessions
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(replica => new ChangeFeedReplica(
                replica.Key[ApplicationNamePrefix.Length..],
                replica.Any(s => s.Streaming == true) ? "streaming"
                    : replica.Any(s => s.Waiting == true) ? "standing_by"
                    : replica.All(s => s.Streaming is null) ? "unknown"
                    : "starting",
                Utc(replica.Where(s => s.Streaming == true).Select(s => s.Started).FirstOrDefault() ?? replica.Min(s => s.Started))))
            .OrderBy(r => r.State == "streaming" ? 0 : 1).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}
