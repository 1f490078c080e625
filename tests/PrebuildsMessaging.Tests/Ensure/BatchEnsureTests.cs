using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Database;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Ensure;

/// <summary>The one writer on a batch, on a real PostgreSQL: duplicates, deletions and races inside and between batches.</summary>
public sealed class BatchEnsureTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_batch_reads_Coders_pause_and_writes_every_missing_row_in_one_statement_and_reports_each_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(20);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);

        using var counter = new StatementCounter(db.Name);
        var result = await db.Writer(services).EnsureAsync(commands, CancellationToken.None);

        Assert.True(result.SetWise);
        Assert.Empty(result.Failures);
        Assert.False(result.PausedByCoder);
        var statement = Assert.Single(counter.Statements); // Coder's pause, memberships, groups, group memberships: all 20 at once
        Assert.Contains(StatementCounter.EnsureMarker, statement, StringComparison.Ordinal);
        Assert.Equal(orgs.Order(), result.Organizations.Select(o => o.OrganizationId).Order());
        Assert.All(result.Organizations, o => Assert.Equal((EnsureOutcomes.Ensured, true, true, true, 0),
            (o.Outcome, o.MembershipCreated, o.GroupCreated, o.GroupMembershipCreated, o.UniqueViolationsTolerated)));
        Assert.All(result.Organizations, o => Assert.Equal(commands[0].ReconciliationId, o.ReconciliationId));
        await AssertConvergedAsync(db, orgs);
        Assert.Empty(await db.IncompleteAsync(services));
    }

    [Fact]
    public async Task A_batch_that_holds_the_same_organization_twice_writes_it_once_and_answers_both_commands()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);

        var result = await db.Writer(services).EnsureAsync([.. commands, .. commands], CancellationToken.None);

        Assert.Equal(6, result.Organizations.Count);
        foreach (var org in orgs)
        {
            var both = result.Organizations.Where(o => o.OrganizationId == org).ToList();
            Assert.Equal(2, both.Count);
            Assert.Equal(1, both.Count(o => o.MembershipCreated && o.GroupCreated && o.GroupMembershipCreated));
            Assert.All(both, o => Assert.Equal(EnsureOutcomes.Ensured, o.Outcome));
        }

        await AssertConvergedAsync(db, orgs);
    }

    [Fact]
    public async Task An_organization_deleted_between_the_read_and_the_write_is_gone_and_the_others_are_ensured()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);
        await db.Seed.DeleteOrganizationAsync(orgs[2]);

        var result = await db.Writer(services).EnsureAsync(commands, CancellationToken.None);

        Assert.True(result.SetWise); // the statement finds no template of it left, and no row of it: gone, without a foreign-key error
        Assert.Empty(result.Failures);
        Assert.Equal(EnsureOutcomes.OrganizationGone, Assert.Single(result.Organizations, o => o.OrganizationId == orgs[2]).Outcome);
        Assert.All(result.Organizations.Where(o => o.OrganizationId != orgs[2]),
            o => Assert.Equal((EnsureOutcomes.Ensured, true, true, true), (o.Outcome, o.MembershipCreated, o.GroupCreated, o.GroupMembershipCreated)));
        await AssertConvergedAsync(db, orgs.Where(o => o != orgs[2]));
    }

    [Fact]
    public async Task A_group_deleted_after_the_read_is_created_again()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        var doomed = await db.Seed.GroupAsync(orgs[0]);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);
        Assert.Equal(doomed, commands.Single(c => c.OrganizationId == orgs[0]).PrebuildsGroupId);
        await db.ExecuteAsync("DELETE FROM groups WHERE id = @doomed", new { doomed });

        var result = await db.Writer(services).EnsureAsync(commands, CancellationToken.None);

        Assert.Empty(result.Failures);
        Assert.True(Assert.Single(result.Organizations, o => o.OrganizationId == orgs[0]).GroupCreated);
        var recreated = await db.Seed.PrebuildsGroupAsync(orgs[0]);
        Assert.NotNull(recreated);
        Assert.NotEqual(doomed, recreated.Id);
        await AssertConvergedAsync(db, orgs);
    }

    [Fact]
    public async Task An_organization_whose_own_row_is_refused_fails_alone_and_the_others_are_ensured()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(4);
        await db.Seed.RefuseGroupsAsync(orgs[1]);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);

        var result = await db.Writer(services).EnsureAsync(commands, CancellationToken.None);

        Assert.False(result.SetWise); // the statement was refused: one organization at a time instead, to find out for whom
        var failure = Assert.Single(result.Failures);
        Assert.Equal(orgs[1], failure.OrganizationId);
        Assert.Contains("refuses its group", failure.Error.Message, StringComparison.Ordinal);
        Assert.Equal(orgs.Where(o => o != orgs[1]).Order(), result.Organizations.Select(o => o.OrganizationId).Order());
        await AssertConvergedAsync(db, orgs.Where(o => o != orgs[1]));
        Assert.False(await db.Seed.HasMembershipAsync(orgs[1], db.PrebuildsUserId)); // its statement wrote nothing at all
    }

    [Fact]
    public async Task An_organization_whose_group_keeps_vanishing_fails_alone_and_the_others_are_ensured()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        await db.Seed.SwallowGroupsAsync(orgs[0]);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);

        var result = await db.Writer(services).EnsureAsync(commands, CancellationToken.None);

        Assert.False(result.SetWise);
        var failure = Assert.Single(result.Failures);
        Assert.Equal(orgs[0], failure.OrganizationId);
        Assert.IsType<PrebuildsGroupVanishedException>(failure.Error);
        Assert.Equal(orgs.Skip(1).Order(), result.Organizations.Select(o => o.OrganizationId).Order());
        await AssertConvergedAsync(db, orgs.Skip(1));
    }

    [Fact]
    public async Task An_error_that_every_organization_meets_is_thrown_as_the_batch_error()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        await db.Seed.RefuseGroupsAsync([.. orgs]);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);

        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => db.Writer(services).EnsureAsync(commands, CancellationToken.None));

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
        var commands = await db.IncompleteAsync(services);

        var error = await Assert.ThrowsAsync<PrebuildsUserMissingException>(() => db.Writer(services).EnsureAsync(commands, CancellationToken.None));

        Assert.Equal(ghost, error.UserId);
        Assert.Contains("Prebuilds:UserId", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM organization_members"));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
    }

    [Fact]
    public async Task Two_batches_racing_over_the_same_organizations_create_each_row_once_and_find_it_there_once()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(30);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);
        var writer = db.Writer(services);

        // The same stale snapshot, in two orders, at once.
        using var start = new ManualResetEventSlim();
        var forward = Task.Run(async () => { start.Wait(); return await writer.EnsureAsync(commands, CancellationToken.None); });
        var backward = Task.Run(async () => { start.Wait(); return await writer.EnsureAsync([.. Enumerable.Reverse(commands)], CancellationToken.None); });
        start.Set();
        var results = await Task.WhenAll(forward, backward);

        Assert.All(results, r => Assert.Empty(r.Failures));
        foreach (var org in orgs)
        {
            var both = results.Select(r => Assert.Single(r.Organizations, o => o.OrganizationId == org)).ToList();
            Assert.Equal(1, both.Count(o => o.MembershipCreated)); // each row created by exactly one of them
            Assert.Equal(1, both.Count(o => o.GroupCreated));
            Assert.Equal(1, both.Count(o => o.GroupMembershipCreated));
            Assert.Equal(3, both.Sum(o => o.UniqueViolationsTolerated)); // and found there by the other
        }

        await AssertConvergedAsync(db, orgs); // the loser of a group insert put the user in the winner's group
    }

    private static async Task AssertConvergedAsync(TestDatabase db, IEnumerable<Guid> orgs)
    {
        foreach (var org in orgs)
        {
            Assert.True(await db.Seed.ConvergedAsync(org, db.PrebuildsUserId), $"organization {org} is not converged");
        }
    }
}
