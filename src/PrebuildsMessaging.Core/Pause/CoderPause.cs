using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Core.Pause;

/// <summary>
/// Reads Coder's own pause of prebuilds reconciliation (site_configs, key prebuilds_settings, through the function
/// prebuilds_messaging.coder_reconciliation_paused()): one statement, for looking whether a pause was lifted. The
/// status query and the writer read the same inside their own statements.
/// </summary>
public sealed class CoderPause(NpgsqlDataSource dataSource)
{
    private static readonly string Sql = EmbeddedSql.Load("Pause/sql/GetCoderPause.sql");

    public async Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(Sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
