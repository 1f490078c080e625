using System.Runtime.ExceptionServices;
using System.Globalization;
using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql.Replication.PgOutput.Messages;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication;
using Npgsql;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>
/// Follows Coder's own database changes and turns the committed transactions that can create a need into
/// ReconcileRequested (source change-feed) for their organizations, published behind the stream
/// (<see cref="ChangeFeedRequests"/>). On every (re)connection the replica that wins the
/// election (<see cref="ChangeFeedLease"/>) creates a temporary slot, requests one reconciliation of every
/// organization (the snapshot), and only then streams from the slot. The slot lives exactly as long as this
/// connection, so Coder's database never keeps WAL for a worker that is gone; and nothing is missed, whatever happened
/// while no replica streamed (see <see cref="BeginAsync"/> for why).
/// </summary>
public sealed partial class ChangeFeedReader(
    IOptions<ChangeFeedOptions> options,
    IOptions<PostgresOptions> postgres,
    IOptions<PrebuildsOptions> prebuilds,
    NpgsqlDataSource dataSource,
    ChangeFeedTransactions transactions,
    IBus bus,
    ChangeFeedStatus status,
    PrebuildsMetrics metrics,
    TimeProvider timeProvider,
    ILogger<ChangeFeedReader> logger) : BackgroundService
{
    private const string DuplicateObject = "42710";

    /// <summary>How often, between transactions, the reader tells PostgreSQL it has everything it was sent.</summary>
    private static readonly TimeSpan IdleAcknowledgeInterval = TimeSpan.FromSeconds(5);

    /// <summary>How long the broker may take to confirm a request before the connection (and its slot) is given up.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a new slot may wait for the transactions open on the server before the reader says so.</summary>
    private static readonly TimeSpan SlowSlotCreation = TimeSpan.FromSeconds(10);

    /// <summary>How long an elected replica waits for the slot of the reader before it to go (a handover).</summary>
    private static readonly TimeSpan HandoverWait = TimeSpan.FromSeconds(5);

    /// <summary>This replica's name in pg_stat_activity: the process id first, since PostgreSQL cuts names at 63 bytes.</summary>
    public static string ApplicationName { get; } =
        string.Create(CultureInfo.InvariantCulture, $"{ChangeFeedReplicas.ApplicationNamePrefix}{Environment.ProcessId}@{Environment.MachineName}");

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Enabled)
        {
            // A server without logical decoding stops start-up with the setting to change.
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await ChangeFeedSetup.RequireLogicalWalAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feed = options.Value;
        if (!feed.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            DateTimeOffset? streamingSince = null;
            try
            {
                await using var lease = await ChangeFeedLease.OpenAsync(
                    ServiceConnectionString.From(postgres.Value.ConnectionString), ApplicationName, feed.SlotName, stoppingToken).ConfigureAwait(false);
                if (!await lease.TryAcquireAsync(stoppingToken).ConfigureAwait(false))
                {
                    status.StandingBy(lease.Server);
                    await lease.AcquireAsync(stoppingToken).ConfigureAwait(false);
                }

                await using var replication = await BeginAsync(lease, feed.SlotName, stoppingToken).ConfigureAwait(false);
                streamingSince = timeProvider.GetUtcNow();
                await StreamAsync(replication, feed.SlotName, stoppingToken).ConfigureAwait(false);
                status.Unavailable("PostgreSQL ended the replication stream");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ChangeFeedSlotHeldException held)
            {
                status.StandingBy(held.Server); // the slot's reader streams without the lease (or is handing over)
            }
            catch (Exception ex)
            {
                // Whatever broke (the database, a failover, the broker, the stream itself), the temporary slot went
                // with its connection, and the next connection starts with a snapshot: nothing is lost by trying again.
                status.Unavailable(ChangeFeedFailure.Reason(ex));
            }

            // A stream that was lost is taken up again at once (on whichever server is the primary now); anything else,
            // and a stream that keeps failing as soon as it starts, waits for the retry interval.
            if (streamingSince is not { } since || timeProvider.GetUtcNow() - since < feed.RetryInterval)
            {
                await Task.Delay(feed.RetryInterval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Creates the temporary slot and requests the snapshot. This is where "nothing is missed" is made:
    /// <list type="number">
    /// <item>CREATE_REPLICATION_SLOT returns once the slot has reached its consistent point: every transaction that
    /// commits after that point will be decoded from the slot, and streamed below.</item>
    /// <item>The snapshot request is published only after that, and no earlier read may answer it
    /// (<see cref="ReconciliationCoverage.MayBeCovered"/>): the reconcile consumer runs a status query
    /// for it after it arrived, whose snapshot sees every transaction that committed before the consistent point.</item>
    /// <item>The stream starts only once the broker confirmed the request; if it never does, the connection (and the
    /// slot) is dropped and the next connection starts again with a snapshot.</item>
    /// </list>
    /// So a change committed before the slot existed is covered by the snapshot, and one committed after by the
    /// stream; one in between is seen by both, which is harmless.
    /// </summary>
    private async Task<LogicalReplicationConnection> BeginAsync(ChangeFeedLease lease, string slotName, CancellationToken cancellationToken)
    {
        var builder = ChangeFeedLease.KeptAlive(new NpgsqlConnectionStringBuilder(ServiceConnectionString.From(postgres.Value.ConnectionString))
        {
            Host = lease.Host,
            Port = lease.Port,
            ApplicationName = ApplicationName,
        });
        builder.Remove("Target Session Attributes");
        var replication = new LogicalReplicationConnection(builder.ConnectionString);
        try
        {
            await replication.Open(cancellationToken).ConfigureAwait(false);
            if (!await lease.PublicationExistsAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new ChangeFeedUnavailableException(
                    $"the publication {ChangeFeedSetup.PublicationName} does not exist in this database; create it with `migrate --with-change-feed`");
            }

            await CreateSlotAsync(replication, lease, slotName, cancellationToken).ConfigureAwait(false);
            await PublishConfirmedAsync(ReconciliationRequests.All(ReconcileSources.ChangeFeed, timeProvider), cancellationToken).ConfigureAwait(false);
            metrics.ChangeFeedSnapshot();
            status.Streaming(lease.Server, slotName);
            return replication;
        }
        catch
        {
            await replication.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task CreateSlotAsync(LogicalReplicationConnection replication, ChangeFeedLease lease, string slotName, CancellationToken cancellationToken)
    {
        // A new slot waits for the transactions open on the server to end, however long: no command timeout.
        replication.CommandTimeout = Timeout.InfiniteTimeSpan;
        var handoverDeadline = timeProvider.GetUtcNow() + HandoverWait;
        while (true)
        {
            var create = replication.CreatePgOutputReplicationSlot(slotName, temporarySlot: true, slotSnapshotInitMode: LogicalSlotSnapshotInitMode.NoExport,
                cancellationToken: cancellationToken);
            try
            {
                if (await Task.WhenAny(create, Task.Delay(SlowSlotCreation, timeProvider, cancellationToken)).ConfigureAwait(false) != create
                    && await lease.OldestTransactionAsync(cancellationToken).ConfigureAwait(false) is { } oldest)
                {
                    LogSlotWaits(logger, slotName, oldest.Pid, oldest.Age.TotalSeconds);
                }

                await create.ConfigureAwait(false);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == DuplicateObject)
            {
                var existing = await lease.ReadSlotAsync(slotName, cancellationToken).ConfigureAwait(false);
                switch (existing)
                {
                    case null or { Temporary: true, Ours: true }:
                        // The slot of the reader before this one: gone by now, or about to go (its walsender ends a moment
                        // after its lease), or held by a reader whose lease lapsed while it streams. Wait a little.
                        if (timeProvider.GetUtcNow() > handoverDeadline)
                        {
                            throw new ChangeFeedSlotHeldException(lease.Server);
                        }

                        await Task.Delay(TimeSpan.FromMilliseconds(250), timeProvider, cancellationToken).ConfigureAwait(false);
                        continue;
                    case { Ours: false }:
                        throw new ChangeFeedUnavailableException(
                            $"the replication slot {slotName} on this server belongs to another database or plugin: give each Coder database on one server its own ChangeFeed:SlotName");
                    case { Active: true }:
                        throw new ChangeFeedUnavailableException(
                            $"the permanent replication slot {slotName} of an earlier version is streamed by a worker of that version; it is dropped once that worker stops");
                }

                // A permanent slot left by an earlier version keeps WAL for no one: this version never reads it.
                var lag = await lease.SlotLagAsync(slotName, cancellationToken).ConfigureAwait(false);
                await replication.DropReplicationSlot(slotName, cancellationToken: cancellationToken).ConfigureAwait(false);
                LogDroppedPermanentSlot(logger, slotName, lag ?? 0);
            }
        }
    }

    /// <summary>Publishes and waits for the broker's confirm, for at most <see cref="PublishTimeout"/>.</summary>
    private async Task PublishConfirmedAsync(ReconcileRequested request, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(PublishTimeout);
        try
        {
            await bus.Publish(request, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChangeFeedUnavailableException($"the broker did not confirm a request within {PublishTimeout.TotalSeconds} s");
        }
    }

    private async Task StreamAsync(LogicalReplicationConnection replication, string slotName, CancellationToken cancellationToken)
    {
        var slot = new PgOutputReplicationSlot(slotName);
        var replicationOptions = new PgOutputReplicationOptions(ChangeFeedSetup.PublicationName, PgOutputProtocolVersion.V1);
        var transaction = new List<RowChange>();
        uint xid = 0;

        // Between transactions everything PostgreSQL sent has been handled, so the position it last reported (a
        // keepalive's, or the next transaction's start) may be acknowledged: a slot of a reader that runs never holds
        // back the WAL of Coder's writes that the publication leaves out.
        var gate = new Lock();
        var inTransaction = false;
        await using var idleAcknowledge = timeProvider.CreateTimer(_ =>
        {
            lock (gate)
            {
                if (!inTransaction && replication.LastReceivedLsn > replication.LastFlushedLsn)
                {
                    replication.SetReplicationStatus(replication.LastReceivedLsn);
                }
            }
        }, null, IdleAcknowledgeInterval, IdleAcknowledgeInterval).ConfigureAwait(false);

        // Decoded transactions are published behind the stream (ChangeFeedRequests); a failed publish ends it.
        using var requests = new ChangeFeedRequests(transactions, PublishConfirmedAsync, timeProvider, logger);
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, requests.Stream);
        try
        {
            await foreach (var message in replication.StartReplication(slot, replicationOptions, streaming.Token).ConfigureAwait(false))
            {
                switch (message)
                {
                    case BeginMessage begin:
                        lock (gate)
                        {
                            inTransaction = true;
                        }

                        xid = begin.TransactionXid;
                        transaction.Clear();
                        break;
                    case InsertMessage insert:
                        transaction.Add(new RowChange(insert.Relation.RelationName, ChangeKind.Insert, await ReadAsync(insert.Relation, insert.NewRow, streaming.Token).ConfigureAwait(false)));
                        break;
                    case UpdateMessage update:
                        transaction.Add(new RowChange(update.Relation.RelationName, ChangeKind.Update, await ReadAsync(update.Relation, update.NewRow, streaming.Token).ConfigureAwait(false)));
                        break;
                    case KeyDeleteMessage delete:
                        transaction.Add(new RowChange(delete.Relation.RelationName, ChangeKind.Delete, await ReadAsync(delete.Relation, delete.Key, streaming.Token).ConfigureAwait(false)));
                        break;
                    case FullDeleteMessage delete:
                        transaction.Add(new RowChange(delete.Relation.RelationName, ChangeKind.Delete, await ReadAsync(delete.Relation, delete.OldRow, streaming.Token).ConfigureAwait(false)));
                        break;
                    case CommitMessage commit:
                        requests.Add(ChangeFeedNeeds.Of(transaction, prebuilds.Value.UserId), xid);
                        transaction.Clear();
                        lock (gate)
                        {
                            // Handed over: PostgreSQL may forget this transaction. What makes a lost request safe is not the
                            // acknowledgement but the snapshot of the next connection (a temporary slot is never resumed), and
                            // a failed publish ends this one. Acknowledging only keeps the slot from holding back WAL.
                            replication.SetReplicationStatus(commit.TransactionEndLsn);
                            inTransaction = false;
                        }

                        await replication.SendStatusUpdate(streaming.Token).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (requests.Failure is { } failure && !cancellationToken.IsCancellationRequested)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        if (requests.Failure is { } failed)
        {
            ExceptionDispatchInfo.Throw(failed);
        }
    }

    private static async Task<IReadOnlyDictionary<string, string?>> ReadAsync(RelationMessage relation, ReplicationTuple row, CancellationToken cancellationToken)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var index = 0;
        await foreach (var value in row.ConfigureAwait(false))
        {
            var column = relation.Columns[index++].ColumnName;
            values[column] = value.IsDBNull || value.IsUnchangedToastedValue ? null : await value.Get<string>(cancellationToken).ConfigureAwait(false);
        }

        return values;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed: creating replication slot {Slot} waits for the transactions open on the server to end; the oldest, process {Pid}, has been open {Seconds:F0} s")]
    private static partial void LogSlotWaits(ILogger logger, string slot, int pid, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: dropped the permanent replication slot {Slot} left by an earlier version (it held {LagBytes} bytes of WAL); this version streams from a temporary slot")]
    private static partial void LogDroppedPermanentSlot(ILogger logger, string slot, long lagBytes);
}
