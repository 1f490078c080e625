using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Core.Reconciliation;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Reconciliation;

public sealed class StatusQueryTests(PostgresServer server) : IClassFixture<PostgresServer>
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

        var (_, outcomes) = await db.ReconcileOnceAsync();

        Assert.Equal(mixed, Assert.Single(outcomes).OrganizationId);
        Assert.Equal(0, await db.Seed.GroupCountAsync(onlyNull));
        Assert.False(await db.Seed.HasMembershipAsync(onlyNull, db.PrebuildsUserId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the query for every organization takes its other form
    public async Task The_query_for_every_organization_and_the_scoped_one_return_the_same_rows(bool withRecommendedIndex)
    {
        await using var db = await server.CreateDatabaseAsync();
        if (withRecommendedIndex)
        {
            await db.Services().GetRequiredService<DatabaseMigrator>()
                .MigrateAsync(new MigrationRequest(WithRecommendedIndex: true), CancellationToken.None);
        }

        var orgs = new List<Guid>();
        var none = await db.Seed.OrganizationAsync("none-at-all");
        await db.Seed.TemplatesAsync(none, templates: 2, presets: 3, desiredInstances: null);
        var deleted = await db.Seed.OrganizationAsync("deleted", deleted: true);
        await db.Seed.TemplatesAsync(deleted, desiredInstances: 1);
        var bare = await db.Seed.OrganizationAsync("bare");
        await db.Seed.TemplatesAsync(bare, templates: 2, versions: 3, presets: 2, desiredInstances: 1);
        var member = await db.Seed.OrganizationAsync("member");
        await db.Seed.TemplatesAsync(member, desiredInstances: 2);
        await db.Seed.MembershipAsync(member, db.PrebuildsUserId);
        var grouped = await db.Seed.OrganizationWithPrebuildsAsync("grouped");
        await db.Seed.GroupAsync(grouped);
        var done = await db.Seed.OrganizationWithPrebuildsAsync("done");
        await db.Seed.MembershipAsync(done, db.PrebuildsUserId);
        await db.Seed.GroupMemberAsync(await db.Seed.GroupAsync(done), db.PrebuildsUserId);
        var otherGroup = await db.Seed.OrganizationWithPrebuildsAsync("other-group");
        await db.Seed.GroupMemberAsync(await db.Seed.GroupAsync(otherGroup, "not-the-prebuilds-group"), db.PrebuildsUserId);
        orgs.AddRange([none, deleted, bare, member, grouped, done, otherGroup]);
        var reader = db.StatusQuery();

        var all = (await reader.ReadAsync(ReconciliationScope.All, CancellationToken.None)).Organizations;
        var scoped = (await reader.ReadAsync(ReconciliationScope.For(orgs), CancellationToken.None)).Organizations;

        Assert.Equal(scoped, all);
        Assert.Equal(["bare", "done", "grouped", "member", "other-group"], all.Select(s => s.OrganizationName));
        Assert.Equal((false, null, false), Shape(all, bare));
        Assert.Equal((true, null, false), Shape(all, member));
        Assert.Equal((true, true, true), Shape(all, done));
        Assert.Equal((false, true, false), Shape(all, grouped));
        Assert.Equal((false, null, false), Shape(all, otherGroup));
    }

    private static (bool Member, bool? HasGroup, bool InGroup) Shape(IReadOnlyList<EnsureOrgPrebuildSetup> rows, Guid org)
    {
        var row = rows.Single(r => r.OrganizationId == org);
        return (row.HasPrebuildUser, row.PrebuildsGroupId is null ? null : true, row.HasPrebuildUserInGroup);
    }

    [Fact]
    public async Task A_deleted_organization_is_left_alone()
    {
        await using var db = await server.CreateDatabaseAsync();
        var deleted = await db.Seed.OrganizationAsync(deleted: true);
        await db.Seed.TemplatesAsync(deleted, desiredInstances: 3);

        var (tally, outcomes) = await db.ReconcileOnceAsync();

        Assert.Equal(0, tally.OrganizationsChecked);
        Assert.Empty(outcomes);
        Assert.False(await db.Seed.HasMembershipAsync(deleted, db.PrebuildsUserId));
        Assert.Equal(0, await db.Seed.GroupCountAsync(deleted));
    }

    [Fact]
    public async Task An_organization_whose_prebuild_templates_are_all_deleted_is_left_alone()
    {
        await using var db = await server.CreateDatabaseAsync();
        var organization = await db.Seed.OrganizationWithPrebuildsAsync();
        var other = await db.Seed.OrganizationWithPrebuildsAsync();
        await db.ExecuteAsync("UPDATE templates SET deleted = true WHERE organization_id = @organization", new { organization });

        var (tally, outcomes) = await db.ReconcileOnceAsync();

        Assert.Equal(1, tally.OrganizationsChecked); // the other one only
        Assert.Equal(other, Assert.Single(outcomes).OrganizationId);
        Assert.False(await db.Seed.HasMembershipAsync(organization, db.PrebuildsUserId));
        Assert.Equal(0, await db.Seed.GroupCountAsync(organization));
    }

    [Fact]
    public async Task An_organization_with_a_thousand_presets_is_one_row_and_one_write()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationAsync();
        await db.Seed.TemplatesAsync(org, templates: 50, versions: 4, presets: 5, desiredInstances: 1);
        Assert.Equal(1000, await db.ScalarAsync<long>("SELECT count(*) FROM template_version_presets"));

        var services = db.Services();
        using var counter = new StatementCounter(db.Name);
        var command = Assert.Single(await db.IncompleteAsync(services));
        Assert.Equal(1, counter.Count);
        Assert.Equal(org, command.OrganizationId);

        counter.Reset();
        var outcome = Assert.Single((await db.Writer(services).EnsureAsync([command], CancellationToken.None)).Organizations);

        Assert.Equal((true, true, true), (outcome.MembershipCreated, outcome.GroupCreated, outcome.GroupMembershipCreated));
        Assert.Equal(1, counter.Count); // the membership, the group and the group membership in one statement
        Assert.Contains(StatementCounter.EnsureMarker, counter.Statements[0], StringComparison.Ordinal);
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
        Assert.Equal(5, first.OrganizationsIncomplete);

        using var counter = new StatementCounter(db.Name);
        var (converged, outcomes) = await db.ReconcileOnceAsync();

        Assert.Equal(1, counter.Count);
        Assert.Contains(StatementCounter.StatusQueryMarker, counter.Statements[0], StringComparison.Ordinal);
        Assert.Equal((5, 0), (converged.OrganizationsChecked, converged.OrganizationsIncomplete));
        Assert.Empty(outcomes);
    }

    [Fact]
    public async Task A_scoped_reconcile_touches_only_the_organizations_asked_for()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);

        var (tally, outcomes) = await db.ReconcileOnceAsync(ReconciliationScope.For([orgs[0], orgs[2], Guid.NewGuid()]));

        Assert.Equal(2, tally.OrganizationsChecked);
        Assert.Equal(new[] { orgs[0], orgs[2] }.Order(), outcomes.Select(o => o.OrganizationId).Order());
        Assert.Equal(1, await db.Seed.GroupCountAsync(orgs[0]));
        Assert.Equal(0, await db.Seed.GroupCountAsync(orgs[1]));
        Assert.False(await db.Seed.HasMembershipAsync(orgs[1], db.PrebuildsUserId));
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(orgs[2], db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_scope_of_unknown_organizations_finds_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();

        var (tally, outcomes) = await db.ReconcileOnceAsync(ReconciliationScope.For([Guid.NewGuid()]));

        Assert.Equal(0, tally.OrganizationsChecked);
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
