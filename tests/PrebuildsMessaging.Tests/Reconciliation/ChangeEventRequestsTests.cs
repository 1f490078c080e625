using System.Collections.Concurrent;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Tests.Reconciliation;

/// <summary>How change events' requests are coalesced, with a publisher that records what it was given. Fast tests.</summary>
public sealed class ChangeEventRequestsTests
{
    private readonly ConcurrentQueue<Publish> publishes = new();

    /// <summary>One publish: its request, and its confirm, which the test decides.</summary>
    private sealed record Publish(ReconcileRequested Request, TaskCompletionSource Confirm);

    private ChangeEventRequests Requests(TimeProvider? time = null) => new((request, _) =>
    {
        var publish = new Publish(request, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        publishes.Enqueue(publish);
        return publish.Confirm.Task;
    }, time ?? TimeProvider.System);

    private async Task<IReadOnlyList<Publish>> PublishesAsync(int count)
    {
        await Eventually.TrueAsync(() => Task.FromResult(publishes.Count >= count), $"{count} publishes");
        return publishes.ToList();
    }

    [Fact]
    public async Task A_lone_event_is_published_at_once_and_its_consume_ends_on_the_confirm()
    {
        var requests = Requests();
        var organization = Guid.NewGuid();

        var consumed = requests.RequestAsync(organization, ReconcileSources.PresetsChanged, CancellationToken.None);

        var publish = Assert.Single(await PublishesAsync(1));
        Assert.Equal([organization], publish.Request.OrganizationIds);
        Assert.Equal(ReconcileSources.PresetsChanged, publish.Request.Source);
        Assert.False(consumed.IsCompleted);
        publish.Confirm.SetResult();
        await consumed;
    }

    [Fact]
    public async Task Events_that_arrive_during_a_publish_share_the_next_one_per_source_without_duplicates()
    {
        var requests = Requests();
        var first = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None);
        var inFlight = (await PublishesAsync(1))[0];
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var template = Guid.NewGuid();
        var later = new[]
        {
            requests.RequestAsync(a, ReconcileSources.PresetsChanged, CancellationToken.None),
            requests.RequestAsync(b, ReconcileSources.PresetsChanged, CancellationToken.None),
            requests.RequestAsync(a, ReconcileSources.PresetsChanged, CancellationToken.None),
            requests.RequestAsync(template, ReconcileSources.TemplateChanged, CancellationToken.None),
        };
        Assert.Single(publishes); // nothing more leaves while the first publish is in flight

        inFlight.Confirm.SetResult();
        await first;
        var next = (await PublishesAsync(3)).Skip(1).ToList();
        Assert.Equal(3, publishes.Count);
        var presets = Assert.Single(next, p => p.Request.Source == ReconcileSources.PresetsChanged);
        Assert.Equal(new[] { a, b }.Order(), presets.Request.OrganizationIds.Order());
        var templates = Assert.Single(next, p => p.Request.Source == ReconcileSources.TemplateChanged);
        Assert.Equal([template], templates.Request.OrganizationIds);
        Assert.All(later, l => Assert.False(l.IsCompleted));
        foreach (var publish in next)
        {
            publish.Confirm.SetResult();
        }

        await Task.WhenAll(later);
    }

    [Fact]
    public async Task Under_load_the_next_request_waits_for_a_quiet_period()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var requests = Requests(clock);
        var first = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None);
        var inFlight = (await PublishesAsync(1))[0]; // at once: the fake clock never moved
        var later = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None);
        var joinedAt = clock.GetUtcNow();
        inFlight.Confirm.SetResult();
        await first;

        // One step of the fake clock per look: the publishing loop runs in the real time between two looks.
        await Eventually.TrueAsync(() =>
        {
            if (publishes.Count < 2)
            {
                clock.Advance(TimeSpan.FromMilliseconds(5));
            }

            return Task.FromResult(publishes.Count >= 2);
        }, "the second request leaves");
        Assert.InRange(clock.GetUtcNow() - joinedAt, ChangeEventRequests.QuietPeriod, ChangeEventRequests.QuietPeriod + TimeSpan.FromMilliseconds(10));
        publishes.Last().Confirm.SetResult();
        await later;
    }

    [Fact]
    public async Task A_failed_publish_fails_the_consumes_of_its_events_only()
    {
        var requests = Requests();
        var first = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None);
        var inFlight = (await PublishesAsync(1))[0];
        var presets = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None);
        var templates = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.TemplateChanged, CancellationToken.None);

        inFlight.Confirm.SetException(new TimeoutException("the broker did not confirm"));
        await Assert.ThrowsAsync<TimeoutException>(() => first);
        var next = (await PublishesAsync(3)).Skip(1).ToList();
        next.Single(p => p.Request.Source == ReconcileSources.PresetsChanged).Confirm.SetException(new TimeoutException("again"));
        next.Single(p => p.Request.Source == ReconcileSources.TemplateChanged).Confirm.SetResult();

        await Assert.ThrowsAsync<TimeoutException>(() => presets);
        await templates;
    }

    [Fact]
    public async Task A_request_carries_at_most_the_organization_limit()
    {
        var requests = Requests();
        var first = requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None);
        var inFlight = (await PublishesAsync(1))[0];
        var many = Enumerable.Range(0, ChangeEventRequests.OrganizationLimit + 1)
            .Select(_ => requests.RequestAsync(Guid.NewGuid(), ReconcileSources.PresetsChanged, CancellationToken.None)).ToList();

        inFlight.Confirm.SetResult();
        await first;
        var next = (await PublishesAsync(3)).Skip(1).ToList();
        Assert.Equal([ChangeEventRequests.OrganizationLimit, 1], next.Select(p => p.Request.OrganizationIds.Count).OrderDescending());
        foreach (var publish in next)
        {
            publish.Confirm.SetResult();
        }

        await Task.WhenAll(many);
    }
}
