using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Core.Database;

/// <summary>The small demo data set (sql/demo/SeedDemo.sql) for development databases: idempotent.</summary>
public sealed class DemoData(NpgsqlDataSource dataSource)
{
    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Load("sql/demo/SeedDemo.sql"), cancellationToken: cancellationToken)).ConfigureAwait(false);
    }
}
