using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.ChangeFeed;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>
/// The change feed publishes behind its stream: one publish in flight, the transactions decoded meanwhile share the
/// next request, and a failed publish ends the stream. Against a real PostgreSQL (the visibility check), with a
/// publisher that records what it was given.
/// </summary>
public sealed class ChangeFeedRequestsTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private readonly ConcurrentQueue<(ReconcileRequested Request, TaskCompletionSource Confirm)> publishes = new();

    private ChangeFeedRequests Requests(TestDatabase db) => new(new ChangeFeedTransactions(db.DataSource, TimeProvider.System), (request, _) =>
    {
        var confirm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        publishes.Enqueue((request, confirm));
        return confirm.Task;
    }, TimeProvider.System, NullLogger.Instance);

    private static ChangeFeedNeeds For(params Guid[] organizations) => new(organizations.ToHashSet(), new HashSet<Guid>(), All: false);

    /// <summary>The id of a transaction that committed (visible at once).</summary>
    private static async Task<uint> CommittedXidAsync(TestDatabase db) =>
        (uint)await db.ScalarAsync<long>("SELECT pg_current_xact_id()::text::bigint");

    [Fact]
    public async Task Transactions_decoded_during_a_publish_share_the_next_request()
    {
        await using var db = await server.CreateDatabaseAsync();
        using var requests = Requests(db);
        var xid = await CommittedXidAsync(db);
        var (first, second, third) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        requests.Add(For(first), xid);
        await Eventually.TrueAsync(() => Task.FromResult(publishes.Count == 1), "the first transaction's request is published at once");
        requests.Add(For(second), xid);
        requests.Add(For(third, second), xid);
        var (request, confirm) = publishes.Single();
        Assert.Equal([first], request.OrganizationIds);
        Assert.Equal(ReconcileSources.ChangeFeed, request.Source);

        confirm.SetResult();
        await Eventually.TrueAsync(() => Task.FromResult(publishes.Count == 2), "the next request");
        Assert.Equal(new[] { second, third }.Order(), publishes.Last().Request.OrganizationIds.Order());
        publishes.Last().Confirm.SetResult();
        Assert.Null(requests.Failure);
        Assert.False(requests.Stream.IsCancellationRequested);
    }

    [Fact]
    public async Task A_failed_publish_ends_the_stream_with_its_error()
    {
        await using var db = await server.CreateDatabaseAsync();
        using var requests = Requests(db);

        requests.Add(For(Guid.NewGuid()), await CommittedXidAsync(db));
        await Eventually.TrueAsync(() => Task.FromResult(publishes.Count == 1), "the request is published");
        publishes.Single().Confirm.SetException(new TimeoutException("the broker did not confirm"));

        await Eventually.TrueAsync(() => Task.FromResult(requests.Stream.IsCancellationRequested), "the stream is ended");
        Assert.Equal("the broker did not confirm", Assert.IsType<TimeoutException>(requests.Failure).Message);
        requests.Add(For(Guid.NewGuid()), await CommittedXidAsync(db));
        Assert.Single(publishes); // nothing more leaves on a connection that failed
    }
}
