using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>
/// The state of the change feed's replication slot: whether it exists, whether a worker streams from it, and how much
/// WAL it holds back (from its restart_lsn, which moves at the server's running-transactions records and never past
/// the oldest transaction open on the server).
/// </summary>
public sealed record ChangeFeedSlotState(bool Exists, bool Active, long? LagBytes);

/// <summary>Reads the replication slot's state (pg_replication_slots; no privilege beyond the catalog views).</summary>
public sealed class ChangeFeedSlot(NpgsqlDataSource dataSource)
{
    public async Task<ChangeFeedSlotState> ReadAsync(string slotName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<(bool Active, long? LagBytes)?>(new CommandDefinition(
            """
            SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint
            FROM pg_replication_slots WHERE slot_name = @slotName
            """, new { slotName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } slot ? new ChangeFeedSlotState(true, slot.Active, slot.LagBytes) : new ChangeFeedSlotState(false, false, null);
    }
}
