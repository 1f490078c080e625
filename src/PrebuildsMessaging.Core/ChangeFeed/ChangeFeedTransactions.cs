using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Core.ChangeFeed;

/// <summary>
/// What the change feed asks of the database about a transaction it decoded, in one statement: whether new
/// snapshots see it yet (a commit can reach the feed a moment before), and the organizations of the template
/// versions it named (sql/ChangeFeedTransaction.sql).
/// </summary>
public sealed class ChangeFeedTransactions(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    private static readonly string Sql = EmbeddedSql.Load("ChangeFeed/sql/ChangeFeedTransaction.sql");

    /// <summary>How long to wait for a decoded transaction to become visible before reading on regardless.</summary>
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Waits until the transactions are visible (at most <see cref="VisibilityTimeout"/>), then returns the versions' organizations.</summary>
    public async Task<IReadOnlyList<Guid>> VisibleOrganizationsAsync(IReadOnlyCollection<uint> xids, IReadOnlyCollection<Guid> versions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(xids);
        ArgumentNullException.ThrowIfNull(versions);
        var ids = xids.Select(x => (long)x).ToArray();
        var started = timeProvider.GetTimestamp();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var (visible, organizations) = await connection.QuerySingleAsync<(bool, Guid[])>(new CommandDefinition(
                Sql, new { Xids = ids, Versions = versions.ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (visible || timeProvider.GetElapsedTime(started) > VisibilityTimeout)
            {
                return organizations;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1), timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }
}
