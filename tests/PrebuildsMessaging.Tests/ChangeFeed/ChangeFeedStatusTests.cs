using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.ChangeFeed;
using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>The feed's state as a replica reports it: one log line per change of state, one warning when unavailable too long, the gauge.</summary>
public sealed class ChangeFeedStatusTests
{
    [Fact]
    public void Each_change_of_state_is_logged_once_however_often_it_is_reported()
    {
        var (status, lines, _, _) = Create();

        for (var attempt = 0; attempt < 5; attempt++)
        {
            status.StandingBy("127.0.0.1:5432");
        }

        status.Streaming("127.0.0.1:5432", "prebuilds_messaging");
        status.Streaming("127.0.0.1:5432", "prebuilds_messaging");
        status.Unavailable("connection refused");
        status.Unavailable("connection refused");
        status.Unavailable("no primary among the hosts");

        Assert.Equal(
        [
            "Information: Change feed: another replica streams; standing by on 127.0.0.1:5432 to take over",
            "Information: Change feed: streaming from temporary replication slot prebuilds_messaging on 127.0.0.1:5432, after requesting a reconciliation of every organization (snapshot)",
            "Warning: Change feed: cannot stream (connection refused); trying again, at most every 5 s",
            "Warning: Change feed: cannot stream (no primary among the hosts); trying again, at most every 5 s",
        ], lines);
    }

    [Fact]
    public void A_replica_unable_to_stream_for_longer_than_the_setting_warns_once_and_again_after_it_streamed()
    {
        var (status, lines, time, _) = Create();

        status.Unavailable("connection refused");
        time.Advance(TimeSpan.FromSeconds(59));
        status.Unavailable("connection refused");
        Assert.DoesNotContain(lines, l => l.Contains("unable to stream for more than", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(2));
        status.Unavailable("connection refused");
        time.Advance(TimeSpan.FromMinutes(5));
        status.Unavailable("connection refused");
        Assert.Single(lines, l => l == "Warning: Change feed: unable to stream for more than 60 s (connection refused); until it streams again, changes in Coder's database wait for the schedule");

        status.Streaming("127.0.0.1:5432", "prebuilds_messaging");
        status.Unavailable("connection refused");
        time.Advance(TimeSpan.FromSeconds(61));
        status.Unavailable("connection refused");
        Assert.Equal(2, lines.Count(l => l.Contains("unable to stream for more than", StringComparison.Ordinal)));
    }

    [Fact]
    public void The_gauge_reads_1_for_the_current_state_and_0_for_the_others()
    {
        var (status, _, _, services) = Create();
        using var metrics = new MetricRecorder(services);
        Assert.Null(metrics.Gauge("prebuilds.change_feed.state", ("state", "streaming"))); // no state yet: nothing reported

        status.StandingBy("127.0.0.1:5432");

        Assert.Equal(0, metrics.Gauge("prebuilds.change_feed.state", ("state", "streaming")));
        Assert.Equal(1, metrics.Gauge("prebuilds.change_feed.state", ("state", "standing_by")));
        Assert.Equal(0, metrics.Gauge("prebuilds.change_feed.state", ("state", "unavailable")));
        status.Streaming("127.0.0.1:5432", "prebuilds_messaging");
        Assert.Equal(1, metrics.Gauge("prebuilds.change_feed.state", ("state", "streaming")));
        Assert.Equal(0, metrics.Gauge("prebuilds.change_feed.state", ("state", "standing_by")));
    }

    [Fact]
    public void The_election_key_is_the_same_in_every_process_and_differs_per_slot()
    {
        Assert.Equal(ChangeFeedLease.LockKey("prebuilds_messaging"), ChangeFeedLease.LockKey("prebuilds_messaging"));
        Assert.Equal(-6803255436076198336, ChangeFeedLease.LockKey("prebuilds_messaging")); // FNV-1a of "PrebuildsMessaging change feed:prebuilds_messaging", pinned: every version must agree
        Assert.NotEqual(ChangeFeedLease.LockKey("prebuilds_messaging"), ChangeFeedLease.LockKey("prebuilds_messaging_2"));
    }

    private static (ChangeFeedStatus Status, List<string> Lines, FakeTimeProvider Time, ServiceProvider Services) Create()
    {
        var lines = new List<string>();
        var time = new FakeTimeProvider(TestDatabase.FixedNow);
        var services = new ServiceCollection().AddMetrics().AddSingleton<PrebuildsMetrics>().BuildServiceProvider();
        var logger = new LineLogger(lines);
        var status = new ChangeFeedStatus(Options.Create(new ChangeFeedOptions { Enabled = true }), services.GetRequiredService<PrebuildsMetrics>(), time, logger);
        return (status, lines, time, services);
    }

    private sealed class LineLogger(List<string> lines) : ILogger<ChangeFeedStatus>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}
