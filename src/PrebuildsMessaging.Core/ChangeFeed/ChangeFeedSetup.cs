using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>
/// The change feed's object in Coder's database: the publication <c>prebuilds_messaging_changes</c>, created only
/// when missing, and dropped cleanly. The worker creates its replication slot itself, a temporary one that PostgreSQL
/// drops with the worker's connection, so no slot is created here. The server must run with wal_level = logical;
/// creating the publication needs the owner of the tables.
/// </summary>
public sealed partial class ChangeFeedSetup(NpgsqlDataSource dataSource, ILogger<ChangeFeedSetup> logger)
{
    public const string PublicationName = "prebuilds_messaging_changes";

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await RequireLogicalWalAsync(connection, cancellationToken).ConfigureAwait(false);

        if (await PublicationExistsAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            LogPresent(logger, PublicationName);
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Load("ChangeFeed/sql/CreateChangeFeedPublication.sql"), cancellationToken: cancellationToken))
                .ConfigureAwait(false);
            LogCreated(logger, PublicationName);
        }
    }

    /// <summary>Drops the publication, and a permanent slot of that name that an earlier version created (it holds WAL for no one).</summary>
    public async Task DropAsync(string slotName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var active = await ScalarAsync(connection, "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slotName AND active)", new { slotName }, cancellationToken)
            .ConfigureAwait(false);
        if (active)
        {
            throw new ChangeFeedSetupException(
                $"The replication slot {slotName} is in use by a worker: stop the workers with ChangeFeed:Enabled=true (or set it to false and restart them), then drop the feed.");
        }

        var slots = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = @slotName", new { slotName }, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition($"DROP PUBLICATION IF EXISTS {PublicationName}", cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (slots > 0)
        {
            LogDroppedSlot(logger, slotName);
        }

        LogDropped(logger, PublicationName);
    }

    /// <summary>Whether this database has the change feed's publication.</summary>
    public static Task<bool> PublicationExistsAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        ScalarAsync(connection, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @PublicationName)", new { PublicationName }, cancellationToken);

    /// <summary>The clear error a server without logical decoding gets, naming the setting.</summary>
    public static async Task RequireLogicalWalAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var walLevel = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SHOW wal_level", cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (walLevel != "logical")
        {
            throw new ChangeFeedSetupException(
                $"The change feed needs PostgreSQL's wal_level = logical, and this server has wal_level = {walLevel}. " +
                "Set wal_level = logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL.");
        }
    }

    private static Task<bool> ScalarAsync(NpgsqlConnection connection, string sql, object parameters, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: publication {Name} created")]
    private static partial void LogCreated(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: publication {Name} already there")]
    private static partial void LogPresent(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: the permanent replication slot {Slot} of an earlier version dropped")]
    private static partial void LogDroppedSlot(ILogger logger, string slot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: publication {Publication} dropped")]
    private static partial void LogDropped(ILogger logger, string publication);
}
