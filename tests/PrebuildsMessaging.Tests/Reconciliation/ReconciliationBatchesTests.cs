using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Tests.Reconciliation;

/// <summary>
/// How requests share a pass, on a fake clock and a pass that records what it was given: batching appears only
/// under load. Fast tests: no database, no broker.
/// </summary>
public sealed class ReconciliationBatchesTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(5);

    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ConcurrentQueue<Pass> passes = new();

    /// <summary>One call of the pass: its requests, the fake time it started at, and its end, which the test decides.</summary>
    private sealed record Pass(IReadOnlyList<ReconcileRequested> Requests, DateTimeOffset StartedAt, TaskCompletionSource End);

    private ReconciliationBatches Batches(int limit = 1000) => new(
        (requests, _) =>
        {
            var pass = new Pass(requests.ToList(), clock.GetUtcNow(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            passes.Enqueue(pass);
            return pass.End.Task;
        },
        Microsoft.Extensions.Options.Options.Create(new BusOptions { ReconcileBatchTimeLimit = Quiet, ReconcileBatchMaxWait = MaxWait, ReconcileBatchMessageLimit = limit }),
        clock);

    private static ReconcileRequested Request() => new() { RequestId = Guid.NewGuid(), OrganizationIds = [Guid.NewGuid()], Source = ReconcileSources.ChangeFeed };

    /// <summary>Waits (real time, polling) until the pass has been called this many times, without moving the fake clock.</summary>
    private async Task<Pass> PassAsync(int number)
    {
        await Eventually.TrueAsync(() => Task.FromResult(passes.Count >= number), $"pass {number} starts");
        return passes.ElementAt(number - 1);
    }

    /// <summary>Moves the fake clock in small steps until the pass has been called this many times.</summary>
    private async Task<Pass> AdvanceUntilPassAsync(int number)
    {
        // One step of the fake clock per look: the batches' loop runs in the real time between two looks.
        await Eventually.TrueAsync(() =>
        {
            if (passes.Count < number)
            {
                clock.Advance(Step);
            }

            return Task.FromResult(passes.Count >= number);
        }, $"pass {number} starts");
        return passes.ElementAt(number - 1);
    }

    [Fact]
    public async Task A_lone_request_starts_a_pass_at_once()
    {
        using var batches = Batches();
        var request = Request();

        var answered = batches.JoinAsync(request, CancellationToken.None);

        var pass = await PassAsync(1); // the fake clock never moved: no window was waited out
        Assert.Equal([request], pass.Requests);
        Assert.False(answered.IsCompleted);
        pass.End.SetResult();
        await answered;
    }

    [Fact]
    public async Task Requests_that_arrive_while_a_pass_runs_share_the_next_one_after_a_quiet_period()
    {
        using var batches = Batches();
        var first = batches.JoinAsync(Request(), CancellationToken.None);
        var running = await PassAsync(1);

        var later = new[] { Request(), Request(), Request() };
        var joined = later.Select(r => batches.JoinAsync(r, CancellationToken.None)).ToList();
        var lastJoinedAt = clock.GetUtcNow();
        running.End.SetResult();
        await first;

        var next = await AdvanceUntilPassAsync(2);
        Assert.Equal(later, next.Requests);
        Assert.InRange(next.StartedAt - lastJoinedAt, Quiet, Quiet + Step);
        Assert.All(joined, j => Assert.False(j.IsCompleted));
        next.End.SetResult();
        await Task.WhenAll(joined);
    }

    [Fact]
    public async Task A_steady_stream_is_read_at_the_longest_wait_without_a_quiet_period()
    {
        using var batches = Batches();
        var first = batches.JoinAsync(Request(), CancellationToken.None);
        var running = await PassAsync(1);
        var openedAt = clock.GetUtcNow();
        _ = batches.JoinAsync(Request(), CancellationToken.None);
        running.End.SetResult();
        await first;

        // A request every 50 ms, closer together than the quiet period, until the waiting batch runs.
        var stream = 1;
        while (passes.Count < 2)
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            if (clock.GetUtcNow() - openedAt < MaxWait)
            {
                _ = batches.JoinAsync(Request(), CancellationToken.None);
                stream++;
            }

            await Eventually.TrueAsync(() => Task.FromResult(passes.Count >= 2 || clock.GetUtcNow() - openedAt < MaxWait), "the batch runs by its longest wait");
        }

        var next = passes.ElementAt(1);
        Assert.Equal(stream, next.Requests.Count);
        Assert.InRange(next.StartedAt - openedAt, MaxWait, MaxWait + TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task A_full_batch_runs_without_waiting_and_later_requests_join_the_one_after_it()
    {
        using var batches = Batches(limit: 3);
        var first = batches.JoinAsync(Request(), CancellationToken.None);
        var running = await PassAsync(1);
        var full = Enumerable.Range(0, 3).Select(_ => Request()).ToList();
        var overflow = Request();
        foreach (var request in full)
        {
            _ = batches.JoinAsync(request, CancellationToken.None);
        }

        _ = batches.JoinAsync(overflow, CancellationToken.None);
        running.End.SetResult();
        await first;

        var next = await PassAsync(2); // the fake clock never moved
        Assert.Equal(full, next.Requests);
        next.End.SetResult();
        var after = await AdvanceUntilPassAsync(3);
        Assert.Equal([overflow], after.Requests);
        after.End.SetResult();
    }

    [Fact]
    public async Task A_failed_pass_fails_its_requests_and_the_next_batch_still_runs()
    {
        using var batches = Batches();
        var failing = batches.JoinAsync(Request(), CancellationToken.None);
        var running = await PassAsync(1);
        var waiting = batches.JoinAsync(Request(), CancellationToken.None);
        running.End.SetException(new TimeoutException("the database did not answer"));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => failing);
        Assert.Equal("the database did not answer", error.Message);
        var next = await AdvanceUntilPassAsync(2);
        next.End.SetResult();
        await waiting;
    }

    [Fact]
    public async Task A_request_just_after_a_lone_pass_starts_at_once()
    {
        // Changes made one after the other, each once the one before it has converged: no load, no window.
        using var batches = Batches();
        for (var i = 1; i <= 3; i++)
        {
            var request = batches.JoinAsync(Request(), CancellationToken.None);
            var pass = await PassAsync(i); // the fake clock never moves
            Assert.Equal(clock.GetUtcNow(), pass.StartedAt);
            pass.End.SetResult();
            await request;
        }
    }

    [Fact]
    public async Task A_request_just_after_a_shared_pass_waits_for_the_quiet_period_and_one_after_it_starts_at_once()
    {
        using var batches = Batches();
        var first = batches.JoinAsync(Request(), CancellationToken.None);
        var running = await PassAsync(1);
        var shared = new[] { batches.JoinAsync(Request(), CancellationToken.None), batches.JoinAsync(Request(), CancellationToken.None) };
        running.End.SetResult();
        await first;
        var sharedPass = await AdvanceUntilPassAsync(2);
        Assert.Equal(2, sharedPass.Requests.Count);
        sharedPass.End.SetResult();
        await Task.WhenAll(shared);

        // Within the quiet period after a pass of several requests: load, so it waits (a trickle under load does not
        // alternate lone and batched passes).
        var endedAt = clock.GetUtcNow();
        var soon = batches.JoinAsync(Request(), CancellationToken.None);
        var waited = await AdvanceUntilPassAsync(3);
        Assert.InRange(waited.StartedAt - endedAt, Quiet, Quiet + Step);
        waited.End.SetResult();
        await soon;

        // That pass held one request: the next one is read at once.
        var lone = batches.JoinAsync(Request(), CancellationToken.None);
        var pass = await PassAsync(4); // the fake clock did not move meanwhile
        Assert.Equal(clock.GetUtcNow(), pass.StartedAt);
        pass.End.SetResult();
        await lone;
    }
}
