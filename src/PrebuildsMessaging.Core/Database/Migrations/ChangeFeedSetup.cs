using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PrebuildsMessaging.Database.Migrations;

/// <summary>
/// The change feed's objects in Coder's database: the publication <c>prebuilds_messaging_changes</c> and a logical
/// replication slot with pgoutput. Both are created only when missing, and dropped cleanly. The server must run with
/// wal_level = logical; creating the publication needs the owner of the tables, the slot the REPLICATION attribute.
/// </summary>
public sealed partial class ChangeFeedSetup(NpgsqlDataSource dataSource, ILogger<ChangeFeedSetup> logger)
{
    public const string PublicationName = "prebuilds_messaging_changes";
    public const string OutputPlugin = "pgoutput";

    public async Task CreateAsync(string slotName, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await RequireLogicalWalAsync(connection, cancellationToken).ConfigureAwait(false);

        if (await ScalarAsync(connection, "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = @PublicationName)", new { PublicationName }, cancellationToken).ConfigureAwait(false))
        {
            LogPresent(logger, "publication", PublicationName);
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Resource("sql/changefeed/CreateChangeFeedPublication.sql"), cancellationToken: cancellationToken))
                .ConfigureAwait(false);
            LogCreated(logger, "publication", PublicationName);
        }

        if (await ScalarAsync(connection, "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = @slotName)", new { slotName }, cancellationToken).ConfigureAwait(false))
        {
            LogPresent(logger, "replication slot", slotName);
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_create_logical_replication_slot(@slotName, @OutputPlugin)",
                new { slotName, OutputPlugin }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            LogCreated(logger, "replication slot", slotName);
        }
    }

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

        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = @slotName", new { slotName }, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition($"DROP PUBLICATION IF EXISTS {PublicationName}", cancellationToken: cancellationToken)).ConfigureAwait(false);
        LogDropped(logger, PublicationName, slotName);
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: {Kind} {Name} created")]
    private static partial void LogCreated(ILogger logger, string kind, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: {Kind} {Name} already there")]
    private static partial void LogPresent(ILogger logger, string kind, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: publication {Publication} and replication slot {Slot} dropped")]
    private static partial void LogDropped(ILogger logger, string publication, string slot);
}
