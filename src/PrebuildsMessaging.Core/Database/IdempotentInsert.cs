using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Database;

/// <summary>
/// Runs one INSERT as its own statement and turns the violations that concurrent writers and
/// deletions cause into results: a unique violation means the row is already there.
/// </summary>
internal static class IdempotentInsert
{
    public static async Task<InsertResult> ExecuteAsync(NpgsqlConnection connection, string sql, object parameters, CancellationToken cancellationToken)
    {
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return InsertResult.Inserted;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return InsertResult.AlreadyExists;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation
                                           && CoderForeignKeys.MissingRow(ex.ConstraintName) is not null)
        {
            return CoderForeignKeys.MissingRow(ex.ConstraintName)!.Value;
        }
    }
}
