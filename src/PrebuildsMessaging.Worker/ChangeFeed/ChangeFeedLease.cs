using System.Globalization;
using System.Text;
using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.ChangeFeed;

namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>
/// The election of the one replica that streams, inside PostgreSQL: a session advisory lock, keyed by the slot name,
/// held on this ordinary connection to the primary. The connection is opened with the service's own connection
/// string, so with several hosts and Target Session Attributes=primary it lands on the current primary (a data source
/// of its own, so that no host state remembered from before a failover is reused); <see cref="Host"/> and
/// <see cref="Port"/> then name that one server for the replication connection, which Npgsql opens to one host only.
/// The lock goes with the connection: a SIGKILLed replica's socket is closed by the kernel, and the server's TCP
/// keepalives (set for this session) end a connection whose peer vanished from the network within about 25 s.
/// The other replicas wait on the same lock, visibly (pg_stat_activity), and the first of them gets it the moment it
/// is released.
/// </summary>
public sealed class ChangeFeedLease : IAsyncDisposable
{
    // Server-side options for this session: no statement or lock timeout may end the wait, and a peer that is gone
    // from the network is noticed (a frozen process is not: its kernel still answers; the walsender's own timeout
    // then drops the temporary slot, and the replica takes the feed up again when it runs again).
    private const string SessionOptions =
        "-c statement_timeout=0 -c lock_timeout=0 -c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3";

    private readonly NpgsqlDataSource dataSource;
    private readonly NpgsqlConnection connection;
    private readonly long key;

    private ChangeFeedLease(NpgsqlDataSource dataSource, NpgsqlConnection connection, long key)
    {
        this.dataSource = dataSource;
        this.connection = connection;
        this.key = key;
    }

    /// <summary>The primary this lease is held on (as the connection string names it).</summary>
    public string Host => connection.Host ?? "";

    public int Port => connection.Port;

    public string Server => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    /// <summary>
    /// Connects to the primary (a standby is refused with the reason); the lock is not taken yet. Client-side TCP
    /// keepalives end the wait of a replica standing by when the primary vanishes from the network without a reset.
    /// </summary>
    public static async Task<ChangeFeedLease> OpenAsync(string connectionString, string applicationName, string slotName, CancellationToken cancellationToken)
    {
        var builder = KeptAlive(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = applicationName, Pooling = false });
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? SessionOptions : $"{builder.Options} {SessionOptions}";
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            // One statement: is this the primary, and (PostgreSQL 14 and later) no idle_session_timeout may end the lease.
            var standby = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                """
                SELECT pg_is_in_recovery(),
                       CASE WHEN current_setting('server_version_num')::int >= 140000 THEN set_config('idle_session_timeout', '0', false) END
                """, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (standby)
            {
                throw new ChangeFeedUnavailableException(
                    $"{connection.Host}:{connection.Port} is a standby; name the primary in ConnectionStrings:Postgres, or every host with Target Session Attributes=primary");
            }

            return new ChangeFeedLease(dataSource, connection, LockKey(slotName));
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Client-side TCP keepalives (10 s idle, then every 5 s), for the lease and the replication connection.</summary>
    public static NpgsqlConnectionStringBuilder KeptAlive(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.TcpKeepAlive = true;
        builder.TcpKeepAliveTime = 10;
        builder.TcpKeepAliveInterval = 5;
        return builder;
    }

    /// <summary>Takes the lock if no other replica holds it.</summary>
    public Task<bool> TryAcquireAsync(CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key }, cancellationToken: cancellationToken));

    /// <summary>Waits for the lock, for as long as the replica that holds it keeps it.</summary>
    public Task AcquireAsync(CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key }, commandTimeout: 0, cancellationToken: cancellationToken));

    /// <summary>
    /// The slot of that name on this server, if any: whether PostgreSQL drops it with its connection, whether a reader
    /// streams from it, and whether it is a pgoutput slot of this database (slot names are per server).
    /// </summary>
    public Task<(bool Temporary, bool Active, bool Ours)?> ReadSlotAsync(string slotName, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<(bool Temporary, bool Active, bool Ours)?>(new CommandDefinition(
            "SELECT temporary, active, database IS NOT DISTINCT FROM current_database() AND plugin = 'pgoutput' FROM pg_replication_slots WHERE slot_name = @slotName",
            new { slotName }, cancellationToken: cancellationToken));

    /// <summary>The oldest transaction open on the server, which a new slot waits for: its process id and how long it has been open.</summary>
    public Task<(int Pid, TimeSpan Age)?> OldestTransactionAsync(CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<(int Pid, TimeSpan Age)?>(new CommandDefinition(
            "SELECT pid, now() - xact_start FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() ORDER BY xact_start LIMIT 1",
            cancellationToken: cancellationToken));

    /// <summary>How much WAL the slot of that name holds back, in bytes.</summary>
    public Task<long?> SlotLagAsync(string slotName, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = @slotName",
            new { slotName }, cancellationToken: cancellationToken));

    public Task<bool> PublicationExistsAsync(CancellationToken cancellationToken) =>
        ChangeFeedSetup.PublicationExistsAsync(connection, cancellationToken);

    /// <summary>A stable 64-bit key for the slot name (FNV-1a), so every replica of every version agrees on it.</summary>
    public static long LockKey(string slotName)
    {
        ArgumentNullException.ThrowIfNull(slotName);
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes($"PrebuildsMessaging change feed:{slotName}"))
        {
            hash = unchecked((hash ^ b) * 1099511628211UL);
        }

        return unchecked((long)hash);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
