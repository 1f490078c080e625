using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Ensure;

/// <summary>The writer on batches of one: concurrent writers, stale snapshots and deletions between the status read and the write.</summary>
public sealed class EnsureRaceTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Eight_concurrent_ensures_of_each_organization_create_each_row_once()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);
        var services = db.Services();
        var commands = await db.IncompleteAsync(services);
        var writer = db.Writer(services);

        // Every organization at once, eight times each, all from the same stale snapshot.
        using var start = new ManualResetEventSlim();
        var tasks = commands
            .SelectMany(command => Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                return Assert.Single((await writer.EnsureAsync([command], CancellationToken.None)).Organizations);
            })))
            .ToList();
        start.Set();
        var outcomes = await Task.WhenAll(tasks);

        foreach (var org in orgs)
        {
            var mine = outcomes.Where(o => o.OrganizationId == org).ToList();
            Assert.Equal(8, mine.Count);
            Assert.All(mine, o => Assert.Equal(EnsureOutcomes.Ensured, o.Outcome));
            Assert.Equal(1, mine.Count(o => o.MembershipCreated));
            Assert.Equal(1, mine.Count(o => o.GroupCreated));
            Assert.Equal(1, mine.Count(o => o.GroupMembershipCreated));
            Assert.Equal((8 * 3) - 3, mine.Sum(o => o.UniqueViolationsTolerated));
            Assert.True(await db.Seed.ConvergedAsync(org, db.PrebuildsUserId));
        }
    }

    [Fact]
    public async Task A_writer_waits_for_another_writer_of_the_same_organization_before_it_writes_anything()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var services = db.Services();
        var command = Assert.Single(await db.IncompleteAsync(services));

        // Another writer holds the organization's lock (the one every writer takes first, in one order).
        await using var other = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await Dapper.SqlMapper.ExecuteAsync(other, "SELECT pg_advisory_xact_lock(hashtextextended(@org::text, 0))", new { org }, transaction);

        var writing = db.Writer(services).EnsureAsync([command], CancellationToken.None);
        await Eventually.TrueAsync(() => db.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database())"),
            "the writer waits for the lock");
        Assert.False(writing.IsCompleted);
        Assert.False(await db.Seed.HasMembershipAsync(org, db.PrebuildsUserId)); // nothing written while it waits

        await transaction.CommitAsync();
        var outcome = Assert.Single((await writing).Organizations);
        Assert.Equal((true, true, true), (outcome.MembershipCreated, outcome.GroupCreated, outcome.GroupMembershipCreated));
    }

    [Fact]
    public async Task Rows_inserted_by_someone_else_after_the_status_read_are_tolerated()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var services = db.Services();
        var command = Assert.Single(await db.IncompleteAsync(services));

        // Coder itself (or another replica) completes the setup meanwhile.
        await db.Seed.MembershipAsync(org, db.PrebuildsUserId);
        var theirGroup = await db.Seed.GroupAsync(org);
        await db.Seed.GroupMemberAsync(theirGroup, db.PrebuildsUserId);

        var outcome = Assert.Single((await db.Writer(services).EnsureAsync([command], CancellationToken.None)).Organizations);

        Assert.Equal((EnsureOutcomes.Ensured, false, false, false, 3),
            (outcome.Outcome, outcome.MembershipCreated, outcome.GroupCreated, outcome.GroupMembershipCreated, outcome.UniqueViolationsTolerated));
        Assert.Equal(theirGroup, (await db.Seed.PrebuildsGroupAsync(org))!.Id);
        Assert.True(await db.Seed.ConvergedAsync(org, db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_group_created_concurrently_ends_with_the_user_in_that_group()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var services = db.Services();
        var command = Assert.Single(await db.IncompleteAsync(services));
        Assert.Null(command.PrebuildsGroupId);

        var theirGroup = await db.Seed.GroupAsync(org);

        var outcome = Assert.Single((await db.Writer(services).EnsureAsync([command], CancellationToken.None)).Organizations);

        Assert.False(outcome.GroupCreated);
        Assert.True(outcome.GroupMembershipCreated);
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
        var command = Assert.Single(await db.IncompleteAsync(services));
        Assert.Equal(doomed, command.PrebuildsGroupId);

        await db.ExecuteAsync("DELETE FROM groups WHERE id = @doomed", new { doomed });

        var outcome = Assert.Single((await db.Writer(services).EnsureAsync([command], CancellationToken.None)).Organizations);

        Assert.True(outcome.GroupCreated);
        Assert.True(outcome.GroupMembershipCreated);
        Assert.NotEqual(doomed, (await db.Seed.PrebuildsGroupAsync(org))!.Id);
        Assert.True(await db.Seed.ConvergedAsync(org, db.PrebuildsUserId));
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
        var command = Assert.Single(await db.IncompleteAsync(services));

        await db.Seed.DeleteOrganizationAsync(org);

        var outcome = Assert.Single((await db.Writer(services).EnsureAsync([command], CancellationToken.None)).Organizations);

        Assert.Equal(EnsureOutcomes.OrganizationGone, outcome.Outcome);
        Assert.Equal((false, false, false), (outcome.MembershipCreated, outcome.GroupCreated, outcome.GroupMembershipCreated));
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
    }

    [Fact]
    public async Task A_missing_prebuilds_user_is_a_clear_error_that_names_the_user()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var ghost = Guid.NewGuid();
        var services = db.Services(new Dictionary<string, string?> { ["Prebuilds:UserId"] = ghost.ToString() });
        var command = Assert.Single(await db.IncompleteAsync(services));

        var error = await Assert.ThrowsAsync<PrebuildsUserMissingException>(() => db.Writer(services).EnsureAsync([command], CancellationToken.None));

        Assert.Equal(ghost, error.UserId);
        Assert.Contains(ghost.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("Prebuilds:UserId", error.Message, StringComparison.Ordinal);
        Assert.False(await db.Seed.HasMembershipAsync(org, ghost));
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
        var stale = new EnsureOrgPrebuildSetup
        {
            OrganizationId = org, OrganizationName = "stale", UserId = ghost, GroupName = "coderprebuiltworkspaces",
            HasPrebuildUser = true, PrebuildsGroupId = group, HasPrebuildUserInGroup = false,
        };

        var error = await Assert.ThrowsAsync<PrebuildsUserMissingException>(() => db.Writer(services).EnsureAsync([stale], CancellationToken.None));
        Assert.Equal(ghost, error.UserId);
    }
}
