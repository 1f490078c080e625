using Dapper;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Database;
using PrebuildsMessaging.Database.Migrations;
using PrebuildsMessaging.Messaging;

namespace PrebuildsMessaging.ChangeFeed;

/// <summary>
/// Streams Coder's own database changes from the replication slot (pgoutput) and turns each committed transaction
/// that can create a need into one ReconcileRequested (source change-feed) for its organizations. A position is
/// acknowledged to PostgreSQL only after the bus confirmed the request for every change up to it, so a crash replays
/// from the last acknowledged transaction; duplicates are harmless. A slot admits one reader: the other replicas stand
/// by and try again every few seconds.
/// </summary>
public sealed partial class ChangeFeedReader(
    IOptions<ChangeFeedOptions> options,
    IOptions<PostgresOptions> postgres,
    IOptions<PrebuildsOptions> prebuilds,
    NpgsqlDataSource dataSource,
    IBus bus,
    TimeProvider timeProvider,
    ILogger<ChangeFeedReader> logger) : BackgroundService
{
    private const string SlotInUse = "55006";

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
            try
            {
                await StreamAsync(feed.SlotName, stoppingToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == SlotInUse)
            {
                LogStandingBy(logger, feed.SlotName, feed.RetryInterval.TotalSeconds);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever broke the stream (the database, the broker, the stream itself), nothing was acknowledged past
                // the last confirmed request: start again from there, and never take the worker down.
                LogInterrupted(logger, feed.SlotName, feed.RetryInterval.TotalSeconds, ex.Message);
            }

            await Task.Delay(feed.RetryInterval, timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task StreamAsync(string slotName, CancellationToken cancellationToken)
    {
        // Named after this process, so that pg_stat_replication tells which replica streams.
        var connectionString = new NpgsqlConnectionStringBuilder(ServiceConnectionString.From(postgres.Value.ConnectionString))
        {
            ApplicationName = $"PrebuildsMessaging change feed {Environment.ProcessId}",
        }.ConnectionString;
        await using var connection = new LogicalReplicationConnection(connectionString);
        await connection.Open(cancellationToken).ConfigureAwait(false);
        var slot = new PgOutputReplicationSlot(slotName);
        var replicationOptions = new PgOutputReplicationOptions(ChangeFeedSetup.PublicationName, PgOutputProtocolVersion.V1);
        var transaction = new List<RowChange>();
        LogStreaming(logger, slotName);
        await foreach (var message in connection.StartReplication(slot, replicationOptions, cancellationToken).ConfigureAwait(false))
        {
            switch (message)
            {
                case BeginMessage:
                    transaction.Clear();
                    break;
                case InsertMessage insert:
                    transaction.Add(new RowChange(insert.Relation.RelationName, ChangeKind.Insert, await ReadAsync(insert.Relation, insert.NewRow, cancellationToken).ConfigureAwait(false)));
                    break;
                case UpdateMessage update:
                    transaction.Add(new RowChange(update.Relation.RelationName, ChangeKind.Update, await ReadAsync(update.Relation, update.NewRow, cancellationToken).ConfigureAwait(false)));
                    break;
                case KeyDeleteMessage delete:
                    transaction.Add(new RowChange(delete.Relation.RelationName, ChangeKind.Delete, await ReadAsync(delete.Relation, delete.Key, cancellationToken).ConfigureAwait(false)));
                    break;
                case FullDeleteMessage delete:
                    transaction.Add(new RowChange(delete.Relation.RelationName, ChangeKind.Delete, await ReadAsync(delete.Relation, delete.OldRow, cancellationToken).ConfigureAwait(false)));
                    break;
                case CommitMessage commit:
                    await PublishAsync(ChangeFeedNeeds.Of(transaction, prebuilds.Value.UserId), cancellationToken).ConfigureAwait(false);
                    transaction.Clear();
                    // Only now may PostgreSQL forget this transaction: its request is on the bus.
                    connection.SetReplicationStatus(commit.TransactionEndLsn);
                    await connection.SendStatusUpdate(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async Task PublishAsync(ChangeFeedNeeds needs, CancellationToken cancellationToken)
    {
        if (needs.IsEmpty)
        {
            return;
        }

        var organizations = needs.Organizations.ToHashSet();
        if (!needs.All && needs.TemplateVersions.Count > 0)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            organizations.UnionWith(await connection.QueryAsync<Guid>(new CommandDefinition(
                "SELECT DISTINCT organization_id FROM template_versions WHERE id = ANY(@ids)", new { ids = needs.TemplateVersions.ToArray() },
                cancellationToken: cancellationToken)).ConfigureAwait(false));
        }

        if (!needs.All && organizations.Count == 0)
        {
            return; // e.g. a preset whose version is gone again
        }

        var request = needs.All
            ? ReconcileRequestedFactory.All(ReconcileSources.ChangeFeed, timeProvider)
            : ReconcileRequestedFactory.For(organizations.ToList(), ReconcileSources.ChangeFeed, timeProvider);
        await bus.Publish(request, cancellationToken).ConfigureAwait(false);
        LogRequested(logger, needs.All ? "every organization" : $"{organizations.Count} organizations");
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: streaming from replication slot {Slot}")]
    private static partial void LogStreaming(ILogger logger, string slot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: a change asks for a reconciliation of {Scope}")]
    private static partial void LogRequested(ILogger logger, string scope);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: replication slot {Slot} is read by another replica; standing by, trying again in {Seconds} s")]
    private static partial void LogStandingBy(ILogger logger, string slot, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change feed: streaming from replication slot {Slot} stopped ({Reason}); trying again in {Seconds} s")]
    private static partial void LogInterrupted(ILogger logger, string slot, double seconds, string reason);
}
