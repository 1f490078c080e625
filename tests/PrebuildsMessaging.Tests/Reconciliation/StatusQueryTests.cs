using PrebuildsMessaging.Reconciliation;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Reconciliation;

[Collection(PostgresCollection.Name)]
public sealed class StatusQueryTests(PostgresServer server)
{
    [Fact]
    public async Task Presets_without_desired_instances_count_as_no_prebuilds()
    {
        await using var db = await server.CreateDatabaseAsync();
        var onlyNull = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(onlyNull, templates: 3, versions: 2, presets: 2, desiredInstances: null);
        var mixed = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(mixed, templates: 3, versions: 2, presets: 2, desiredInstances: null);
        await db.Seed.TemplatesAsync(mixed, desiredInstances: 0);

        var (plan, _) = await db.ReconcileOnceAsync();

        var checkedOrg = Assert.Single(plan.Incomplete);
        Assert.Equal(mixed, checkedOrg.OrganizationId);
        Assert.Equal(0, await db.Seed.GroupCountAsync(onlyNull));
        Assert.Equal(0, await db.Seed.MembershipCountAsync(onlyNull, db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_deleted_organization_is_left_alone()
    {
        await using var db = await server.CreateDatabaseAsync();
        var deleted = await db.Seed.OrganizationAsync(deleted: true);
        await db.Seed.TemplatesAsync(deleted, desiredInstances: 3);

        var (plan, outcomes) = await db.ReconcileOnceAsync();

        Assert.Equal(0, plan.OrganizationsChecked);
        Assert.Empty(outcomes);
        Assert.Equal(0, await db.Seed.MembershipCountAsync(deleted, db.PrebuildsUserId));
        Assert.Equal(0, await db.Seed.GroupCountAsync(deleted));
    }

    [Fact]
    public async Task An_organization_with_a_thousand_presets_is_one_snapshot_and_at_most_three_writes()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, templates: 50, versions: 4, presets: 5, desiredInstances: 1);
        Assert.Equal(1000, await db.ScalarAsync<long>("SELECT count(*) FROM template_version_presets"));

        var services = db.Services();
        using var counter = new StatementCounter(db.Name);
        var plan = await db.Planner(services).PlanAsync(ReconciliationScope.All, CancellationToken.None);
        Assert.Equal(1, counter.Count);

        var snapshot = Assert.Single(plan.Incomplete);
        Assert.Equal(1, plan.OrganizationsChecked);

        counter.Reset();
        var outcome = await db.Ensurer(services).EnsureAsync(snapshot, CancellationToken.None);

        Assert.Equal(3, outcome.RowsCreated);
        Assert.Equal(3, counter.Count);
        Assert.All(counter.Statements, s => Assert.Contains("INSERT INTO", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_converged_database_costs_exactly_one_statement_per_reconciliation()
    {
        await using var db = await server.CreateDatabaseAsync();
        for (var i = 0; i < 5; i++)
        {
            var org = await db.Seed.OrganizationAsync();
            await db.Seed.TemplatesAsync(org, templates: 3, versions: 2, presets: 3, desiredInstances: 1);
        }

        var (first, firstOutcomes) = await db.ReconcileOnceAsync();
        Assert.Equal(5, firstOutcomes.Count);

        using var counter = new StatementCounter(db.Name);
        var (converged, outcomes) = await db.ReconcileOnceAsync();

        Assert.Equal(1, counter.Count);
        Assert.Contains("FROM organizations o", counter.Statements[0], StringComparison.Ordinal);
        Assert.Equal(5, converged.OrganizationsChecked);
        Assert.Empty(converged.Incomplete);
        Assert.Empty(outcomes);
        Assert.Equal(5, first.Incomplete.Count);
    }

    [Fact]
    public async Task A_scoped_reconcile_touches_only_the_organizations_asked_for()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var org = await db.Seed.OrganizationAsync();
            await db.Seed.TemplatesAsync(org, desiredInstances: 1);
            orgs.Add(org);
        }

        var (plan, outcomes) = await db.ReconcileOnceAsync(ReconciliationScope.For([orgs[0], orgs[2], Guid.NewGuid()]));

        Assert.Equal(2, plan.OrganizationsChecked);
        Assert.Equal(new[] { orgs[0], orgs[2] }.Order(), outcomes.Select(o => o.OrganizationId).Order());
        Assert.Equal(1, await db.Seed.GroupCountAsync(orgs[0]));
        Assert.Equal(0, await db.Seed.GroupCountAsync(orgs[1]));
        Assert.Equal(0, await db.Seed.MembershipCountAsync(orgs[1], db.PrebuildsUserId));
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(orgs[2], db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_scope_of_unknown_organizations_finds_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, desiredInstances: 1);

        var (plan, outcomes) = await db.ReconcileOnceAsync(ReconciliationScope.For([Guid.NewGuid()]));

        Assert.Equal(0, plan.OrganizationsChecked);
        Assert.Empty(outcomes);
        Assert.Equal(0, await db.Seed.GroupCountAsync(org));
    }

    [Fact]
    public void A_scope_needs_at_least_one_organization()
    {
        Assert.Throws<ArgumentException>(() => ReconciliationScope.For([]));
        Assert.Throws<ArgumentException>(() => ReconciliationScope.For([Guid.Empty]));
        Assert.True(ReconciliationScope.All.IsAll);
    }
}
