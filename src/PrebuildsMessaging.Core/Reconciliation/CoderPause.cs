using Dapper;
using Npgsql;
using PrebuildsMessaging.Database;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>
/// Reads Coder's own pause of prebuilds reconciliation (site_configs, key prebuilds_settings, through the function
/// prebuilds_messaging.coder_reconciliation_paused()): one statement. The status query reads the same in its own
/// statement; this is for the ensure path and for looking whether a pause was lifted.
/// </summary>
public sealed class CoderPause(NpgsqlDataSource dataSource)
{
    public async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same, on a connection the caller holds (e.g. the one its writes use).</summary>
    public static Task<bool> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(Queries.GetCoderPause, cancellationToken: cancellationToken));
}
