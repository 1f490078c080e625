using Dapper;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>
/// A transaction the change feed decoded is read only once new snapshots see it: PostgreSQL can send a commit to the
/// feed a moment before the committing backend makes it visible, and a read in that moment would miss the change.
/// </summary>
public sealed class ChangeFeedTransactionsTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task The_organizations_of_a_transactions_versions_are_read_once_the_transaction_is_visible()
    {
        await using var db = await server.CreateDatabaseAsync();
        var organization = await db.Seed.OrganizationAsync();
        var transactions = new ChangeFeedTransactions(db.DataSource, TimeProvider.System); // it looks again every millisecond

        // A transaction that writes a version and stays open, as one the feed has decoded but others cannot see yet.
        await using var writer = await db.DataSource.OpenConnectionAsync();
        await using var open = await writer.BeginTransactionAsync();
        var xid = await writer.ExecuteScalarAsync<long>("SELECT pg_current_xact_id()::text::bigint", transaction: open);
        var version = Guid.NewGuid();
        await writer.ExecuteAsync(
            """
            INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status, login_type)
            VALUES ('00000000-0000-0000-0000-00000000aaaa', 'feed@example.com', 'feed', '\x00', now(), now(), 'active', 'password') ON CONFLICT DO NOTHING;
            INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
            VALUES (@version, NULL, @organization, now(), now(), 'v1', '', gen_random_uuid(), '00000000-0000-0000-0000-00000000aaaa');
            """, new { version, organization }, open);

        var read = transactions.VisibleOrganizationsAsync([(uint)xid], [version], CancellationToken.None);
        // It has looked at least once, and waits.
        await Eventually.TrueAsync(async () => await db.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%ChangeFeedTransactionsVisible%' AND pid <> pg_backend_pid())"),
            "the read has looked at the transaction");
        Assert.False(read.IsCompleted);

        await open.CommitAsync();

        Assert.Equal([organization], await read);
    }
}
