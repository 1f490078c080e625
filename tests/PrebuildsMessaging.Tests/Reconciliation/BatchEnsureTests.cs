using PrebuildsMessaging.Reconciliation;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Reconciliation;

/// <summary>The set-wise ensure on a real PostgreSQL: duplicates, deletions and races inside and between batches.</summary>
public sealed class BatchEnsureTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_batch_reads_Coders_pause_then_writes_every_missing_row_in_three_statements_and_reports_each_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(20);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);

        using var counter = new StatementCounter(db.Name);
        var result = await db.BatchEnsurer(services).EnsureAsync(plan.Incomplete, CancellationToken.None);

        Assert.True(result.SetWise);
        Assert.Empty(result.Failures);
        // Coder's pause, then memberships, groups, group memberships: one statement each for all 20.
        Assert.Equal(4, counter.Count);
        Assert.Single(counter.Statements, s => s.Contains("GetCoderPause :one", StringComparison.Ordinal));
        Assert.Equal(orgs.Order(), result.Outcomes.Select(o => o.OrganizationId).Order());
        Assert.All(result.Outcomes, o => Assert.Equal((OrgSetupResult.Ensured, 3, 0), (o.Result, o.RowsCreated, o.UniqueViolationsTolerated)));
        await AssertConvergedOnceAsync(db, orgs);
        Assert.Empty((await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None)).Incomplete);
    }

    [Fact]
    public async Task A_batch_that_holds_the_same_organization_twice_writes_it_once()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);

        var result = await db.BatchEnsurer(services).EnsureAsync([.. plan.Incomplete, .. plan.Incomplete], CancellationToken.None);

        Assert.Equal(3, result.Outcomes.Count);
        Assert.All(result.Outcomes, o => Assert.Equal(3, o.RowsCreated));
        await AssertConvergedOnceAsync(db, orgs);
    }

    [Fact]
    public async Task An_organization_deleted_between_the_read_and_the_write_is_gone_and_the_others_are_ensured()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);
        await db.Seed.DeleteOrganizationAsync(orgs[2]);

        var result = await db.BatchEnsurer(services).EnsureAsync(plan.Incomplete, CancellationToken.None);

        Assert.False(result.SetWise); // the membership statement hit the foreign key: one at a time instead
        Assert.Empty(result.Failures);
        Assert.Equal(OrgSetupResult.OrganizationGone, Assert.Single(result.Outcomes, o => o.OrganizationId == orgs[2]).Result);
        Assert.All(result.Outcomes.Where(o => o.OrganizationId != orgs[2]), o => Assert.Equal((OrgSetupResult.Ensured, 3), (o.Result, o.RowsCreated)));
        await AssertConvergedOnceAsync(db, orgs.Where(o => o != orgs[2]));
    }

    [Fact]
    public async Task A_group_deleted_after_the_read_is_created_again()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        var doomed = await db.Seed.GroupAsync(orgs[0]);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);
        await db.ScalarAsync<int>("WITH d AS (DELETE FROM groups WHERE id = @doomed RETURNING 1) SELECT count(*)::int FROM d", new { doomed });

        var result = await db.BatchEnsurer(services).EnsureAsync(plan.Incomplete, CancellationToken.None);

        Assert.Empty(result.Failures);
        var recreated = Assert.Single(result.Outcomes, o => o.OrganizationId == orgs[0]);
        Assert.True(recreated.GroupCreated);
        Assert.NotEqual(doomed, recreated.GroupId);
        await AssertConvergedOnceAsync(db, orgs);
    }

    [Fact]
    public async Task An_organization_whose_own_row_is_refused_fails_alone_and_the_others_are_ensured()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(4);
        await db.Seed.RefuseGroupsAsync(orgs[1]);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);

        var result = await db.BatchEnsurer(services).EnsureAsync(plan.Incomplete, CancellationToken.None);

        Assert.False(result.SetWise); // the group statement was refused: one at a time instead, to find out for whom
        var failure = Assert.Single(result.Failures);
        Assert.Equal(orgs[1], failure.OrganizationId);
        Assert.Contains("refuses its group", failure.Error.Message, StringComparison.Ordinal);
        Assert.Equal(orgs.Where(o => o != orgs[1]).Order(), result.Outcomes.Select(o => o.OrganizationId).Order());
        await AssertConvergedOnceAsync(db, orgs.Where(o => o != orgs[1]));
    }

    [Fact]
    public async Task An_error_that_every_organization_meets_is_thrown_as_the_batch_error()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        await db.Seed.RefuseGroupsAsync([.. orgs]);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);

        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.BatchEnsurer(services).EnsureAsync(plan.Incomplete, CancellationToken.None));

        Assert.Equal(Npgsql.PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
    }

    [Fact]
    public async Task A_batch_while_the_prebuilds_user_is_missing_is_the_clear_error_and_writes_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        await db.Seed.OrganizationsWithPrebuildsAsync(3);
        var ghost = Guid.NewGuid();
        var services = db.Services(new Dictionary<string, string?> { ["Prebuilds:UserId"] = ghost.ToString() });
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);

        var error = await Assert.ThrowsAsync<PrebuildsUserMissingException>(
            () => db.BatchEnsurer(services).EnsureAsync(plan.Incomplete, CancellationToken.None));

        Assert.Equal(ghost, error.UserId);
        Assert.Contains("Prebuilds:UserId", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM organization_members"));
    }

    [Fact]
    public async Task Two_batches_racing_over_the_same_organizations_leave_exactly_one_row_of_each_kind()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(30);
        var services = db.Services();
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);
        var ensurer = db.BatchEnsurer(services);

        // The same stale snapshot, in two orders, at once.
        using var start = new ManualResetEventSlim();
        var forward = Task.Run(async () => { start.Wait(); return await ensurer.EnsureAsync(plan.Incomplete, CancellationToken.None); });
        var backward = Task.Run(async () => { start.Wait(); return await ensurer.EnsureAsync(plan.Incomplete.Reverse(), CancellationToken.None); });
        start.Set();
        var results = await Task.WhenAll(forward, backward);

        Assert.All(results, r => Assert.Empty(r.Failures));
        foreach (var org in orgs)
        {
            var both = results.Select(r => Assert.Single(r.Outcomes, o => o.OrganizationId == org)).ToList();
            Assert.Equal(3, both.Sum(o => o.RowsCreated)); // each row created by exactly one of them
            Assert.Equal(3, both.Sum(o => o.UniqueViolationsTolerated)); // and found there by the other
            Assert.Single(both.Select(o => o.GroupId).Distinct()); // the loser of the group insert read the winner's id
        }

        await AssertConvergedOnceAsync(db, orgs);
    }

    private static async Task AssertConvergedOnceAsync(TestDatabase db, IEnumerable<Guid> orgs)
    {
        foreach (var org in orgs)
        {
            Assert.Equal((org, 1, 1, 1), (org,
                await db.Seed.MembershipCountAsync(org, db.PrebuildsUserId),
                await db.Seed.GroupCountAsync(org),
                await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId)));
        }
    }
}
