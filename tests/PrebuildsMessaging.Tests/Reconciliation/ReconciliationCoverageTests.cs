using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Reconciliation;

namespace PrebuildsMessaging.Tests.Reconciliation;

/// <summary>Coalescing by coverage, and the scopes a batch merges: pure logic, no database.</summary>
public sealed class ReconciliationCoverageTests
{
    private static readonly DateTimeOffset ReadStarted = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromMilliseconds(250);
    private static readonly Guid OrgA = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid OrgB = Guid.Parse("00000000-0000-0000-0000-00000000000b");

    [Fact]
    public void A_change_made_before_a_read_of_its_organization_started_is_covered()
    {
        var coverage = new ReconciliationCoverage();
        coverage.Record(ReconciliationScope.For([OrgA]), ReadStarted);

        Assert.True(coverage.Covers(Request(ReconcileSources.PresetsChanged, ReadStarted - TimeSpan.FromSeconds(1), OrgA), Skew));
        Assert.False(coverage.Covers(Request(ReconcileSources.PresetsChanged, ReadStarted - TimeSpan.FromSeconds(1), OrgB), Skew));
        Assert.False(coverage.Covers(Request(ReconcileSources.PresetsChanged, ReadStarted - TimeSpan.FromSeconds(1), OrgA, OrgB), Skew));
        Assert.False(coverage.Covers(Request(ReconcileSources.PresetsChanged, ReadStarted - TimeSpan.FromSeconds(1)), Skew)); // all
    }

    [Fact]
    public void A_change_feed_request_is_coalesced_like_any_change_event()
    {
        var coverage = new ReconciliationCoverage();
        coverage.Record(ReconciliationScope.For([OrgA]), ReadStarted);

        Assert.True(coverage.Covers(Request(ReconcileSources.ChangeFeed, ReadStarted - TimeSpan.FromSeconds(1), OrgA), Skew));
        Assert.False(coverage.Covers(Request(ReconcileSources.ChangeFeed, ReadStarted, OrgA), Skew));
    }

    [Fact]
    public void A_change_made_within_the_clock_skew_margin_of_the_read_or_after_it_is_not_covered()
    {
        var coverage = new ReconciliationCoverage();
        coverage.Record(ReconciliationScope.For([OrgA]), ReadStarted);

        Assert.False(coverage.Covers(Request(ReconcileSources.TemplateChanged, ReadStarted - TimeSpan.FromMilliseconds(100), OrgA), Skew));
        Assert.False(coverage.Covers(Request(ReconcileSources.TemplateChanged, ReadStarted + TimeSpan.FromSeconds(1), OrgA), Skew));
        Assert.True(coverage.Covers(Request(ReconcileSources.TemplateChanged, ReadStarted - TimeSpan.FromMilliseconds(300), OrgA), Skew));
    }

    [Fact]
    public void The_change_feeds_snapshot_is_never_covered_however_far_the_clocks_disagree()
    {
        var coverage = new ReconciliationCoverage();
        coverage.Record(ReconciliationScope.All, ReadStarted);

        // Its read must start after the slot's consistent point; a read on a replica whose clock runs ahead may not answer it.
        Assert.False(coverage.Covers(Request(ReconcileSources.ChangeFeed, ReadStarted - TimeSpan.FromMinutes(1)), Skew));
        Assert.True(coverage.Covers(Request(ReconcileSources.ChangeFeed, ReadStarted - TimeSpan.FromMinutes(1), OrgA), Skew)); // a scoped change is
    }

    [Theory]
    [InlineData(ReconcileSources.Manual)]
    [InlineData(ReconcileSources.Startup)]
    [InlineData(ReconcileSources.Schedule)]
    [InlineData(ReconcileSources.Resumed)]
    public void Manual_start_up_scheduled_and_resumed_requests_are_never_covered(string source)
    {
        var coverage = new ReconciliationCoverage();
        coverage.Record(ReconciliationScope.All, ReadStarted);

        Assert.False(coverage.Covers(Request(source, ReadStarted - TimeSpan.FromHours(1), OrgA), Skew));
        Assert.True(coverage.Covers(Request(ReconcileSources.Superseded, ReadStarted - TimeSpan.FromHours(1), OrgA), Skew));
    }

    [Fact]
    public void A_read_of_all_covers_every_organization_and_an_older_read_changes_nothing()
    {
        var coverage = new ReconciliationCoverage();
        coverage.Record(ReconciliationScope.All, ReadStarted);
        coverage.Record(ReconciliationScope.For([OrgA]), ReadStarted - TimeSpan.FromMinutes(5));
        coverage.Record(ReconciliationScope.All, ReadStarted - TimeSpan.FromMinutes(5));

        var before = ReadStarted - TimeSpan.FromSeconds(1);
        Assert.True(coverage.Covers(Request(ReconcileSources.PresetsChanged, before, OrgA, OrgB), Skew));
        Assert.True(coverage.Covers(Request(ReconcileSources.PresetsChanged, before), Skew));
    }

    [Fact]
    public void Nothing_is_covered_before_any_read()
    {
        Assert.False(new ReconciliationCoverage().Covers(Request(ReconcileSources.PresetsChanged, DateTimeOffset.MinValue.AddDays(1), OrgA), Skew));
    }

    [Fact]
    public void The_union_of_a_batch_is_all_when_any_request_is_all_and_its_organizations_otherwise()
    {
        var scoped = ReconciliationScope.Union([ReconciliationScope.For([OrgB]), ReconciliationScope.Of([OrgA, OrgB]), ReconciliationScope.Of([Guid.Empty, OrgA])]);
        Assert.Equal([OrgA, OrgB], scoped.OrganizationIds);
        Assert.True(ReconciliationScope.Union([ReconciliationScope.For([OrgA]), ReconciliationScope.Of([])]).IsAll);
        Assert.True(ReconciliationScope.Of([Guid.Empty]).IsAll);
    }

    [Fact]
    public void A_scope_names_at_most_ten_organizations_then_counts_them()
    {
        var ids = Enumerable.Range(1, 25).Select(i => new Guid(i, 0, 0, new byte[8])).ToList();

        var text = ReconciliationScope.For(ids).ToString();

        Assert.Equal(10, text.Split(',').Count(part => Guid.TryParse(part, out _)));
        Assert.EndsWith("… (25 organizations)", text, StringComparison.Ordinal);
        Assert.Equal(string.Join(",", ids.Take(3)), ReconciliationScope.For(ids.Take(3)).ToString());
        Assert.Equal("all", ReconciliationScope.All.ToString());
    }

    private static ReconcileRequested Request(string source, DateTimeOffset requestedAt, params Guid[] organizations) => new()
    {
        RequestId = Guid.NewGuid(),
        OrganizationIds = organizations,
        Source = source,
        RequestedAt = requestedAt,
    };
}
