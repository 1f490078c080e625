using PrebuildsMessaging.Reconciliation;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Reconciliation;

/// <summary>Concurrent writers, stale snapshots and deletions between the status read and the writes.</summary>
public sealed class EnsureRaceTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Eight_concurrent_ensures_of_one_organization_leave_exactly_one_row_of_each_kind()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);

        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);
        var ensurer = db.Ensurer(services);

        // Every organization at once, eight times each, all from the same stale snapshot.
        using var start = new ManualResetEventSlim();
        var tasks = plan.Incomplete
            .SelectMany(status => Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return await ensurer.EnsureAsync(status, CancellationToken.None);
            })))
            .ToList();
        start.Set();
        var outcomes = await Task.WhenAll(tasks);

        foreach (var org in orgs)
        {
            var mine = outcomes.Where(o => o.OrganizationId == org).ToList();
            Assert.Equal(8, mine.Count);
            Assert.All(mine, o => Assert.Equal(OrgSetupResult.Ensured, o.Result));
            Assert.Equal(1, mine.Count(o => o.MembershipCreated));
            Assert.Equal(1, mine.Count(o => o.GroupCreated));
            Assert.Equal(1, mine.Count(o => o.GroupMembershipCreated));
            Assert.Equal((8 * 3) - 3, mine.Sum(o => o.UniqueViolationsTolerated));
            Assert.Single(mine.Select(o => o.GroupId).Distinct());

            Assert.Equal(1, await db.Seed.MembershipCountAsync(org, db.PrebuildsUserId));
            Assert.Equal(1, await db.Seed.GroupCountAsync(org));
            Assert.Equal(1, await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId));
        }
    }

    [Fact]
    public async Task Rows_inserted_by_someone_else_after_the_status_read_are_tolerated()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var services = db.Services();
        var snapshot = Assert.Single((await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None)).Incomplete);

        // Coder itself (or another replica) completes the setup meanwhile.
        await db.Seed.MembershipAsync(org, db.PrebuildsUserId);
        var theirGroup = await db.Seed.GroupAsync(org);
        await db.Seed.GroupMemberAsync(theirGroup, db.PrebuildsUserId);

        var outcome = await db.Ensurer(services).EnsureAsync(snapshot, CancellationToken.None);

        Assert.Equal(OrgSetupResult.Ensured, outcome.Result);
        Assert.Equal(0, outcome.RowsCreated);
        Assert.Equal(3, outcome.UniqueViolationsTolerated);
        Assert.Equal(theirGroup, outcome.GroupId);
        Assert.Equal(1, await db.Seed.MembershipCountAsync(org, db.PrebuildsUserId));
        Assert.Equal(1, await db.Seed.GroupCountAsync(org));
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_group_created_concurrently_ends_with_the_user_in_that_group()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var services = db.Services();
        var snapshot = Assert.Single((await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None)).Incomplete);
        Assert.Null(snapshot.PrebuildsGroupId);

        var theirGroup = await db.Seed.GroupAsync(org);

        var outcome = await db.Ensurer(services).EnsureAsync(snapshot, CancellationToken.None);

        Assert.False(outcome.GroupCreated);
        Assert.True(outcome.GroupMembershipCreated);
        Assert.Equal(theirGroup, outcome.GroupId);
        Assert.Equal(1, outcome.UniqueViolationsTolerated);
        Assert.Equal(1, await db.Seed.GroupCountAsync(org));
        Assert.Equal(1, await db.ScalarAsync<long>(
            "SELECT count(*) FROM group_members WHERE group_id = @theirGroup AND user_id = @user",
            new { theirGroup, user = db.PrebuildsUserId }));
    }

    [Fact]
    public async Task A_group_deleted_after_the_status_read_is_created_again()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await db.Seed.MembershipAsync(org, db.PrebuildsUserId);
        var doomed = await db.Seed.GroupAsync(org);
        var services = db.Services();
        var snapshot = Assert.Single((await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None)).Incomplete);
        Assert.Equal(doomed, snapshot.PrebuildsGroupId);

        await db.ScalarAsync<int>("WITH d AS (DELETE FROM groups WHERE id = @doomed RETURNING 1) SELECT count(*) FROM d", new { doomed });

        var outcome = await db.Ensurer(services).EnsureAsync(snapshot, CancellationToken.None);

        Assert.True(outcome.GroupCreated);
        Assert.True(outcome.GroupMembershipCreated);
        Assert.NotEqual(doomed, outcome.GroupId);
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_organization_deleted_before_its_ensure_is_organization_gone(bool membershipExisted)
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        if (membershipExisted)
        {
            await db.Seed.MembershipAsync(org, db.PrebuildsUserId);
        }

        var services = db.Services();
        var snapshot = Assert.Single((await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None)).Incomplete);

        await db.Seed.DeleteOrganizationAsync(org);

        var outcome = await db.Ensurer(services).EnsureAsync(snapshot, CancellationToken.None);

        Assert.Equal(OrgSetupResult.OrganizationGone, outcome.Result);
        Assert.Equal(0, outcome.RowsCreated);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
    }

    [Fact]
    public async Task A_missing_prebuilds_user_is_a_clear_error_that_names_the_user()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var ghost = Guid.NewGuid();
        var services = db.Services(new Dictionary<string, string?> { ["Prebuilds:UserId"] = ghost.ToString() });
        var snapshot = Assert.Single((await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None)).Incomplete);

        var error = await Assert.ThrowsAsync<PrebuildsUserMissingException>(
            () => db.Ensurer(services).EnsureAsync(snapshot, CancellationToken.None));

        Assert.Equal(ghost, error.UserId);
        Assert.Contains(ghost.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("Prebuilds:UserId", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await db.Seed.MembershipCountAsync(org, ghost));
    }

    [Fact]
    public async Task A_prebuilds_user_deleted_before_the_group_membership_is_the_same_clear_error()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var group = await db.Seed.GroupAsync(org);
        var ghost = Guid.NewGuid();
        var services = db.Services(new Dictionary<string, string?> { ["Prebuilds:UserId"] = ghost.ToString() });

        // A stale snapshot that believes the membership exists; only the group membership is left to write.
        var stale = new OrganizationPrebuildStatus(org, "stale", HasPrebuildUser: true, PrebuildsGroupId: group, HasPrebuildUserInGroup: false);

        var error = await Assert.ThrowsAsync<PrebuildsUserMissingException>(
            () => db.Ensurer(services).EnsureAsync(stale, CancellationToken.None));
        Assert.Equal(ghost, error.UserId);
    }
}
