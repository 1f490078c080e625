using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Cli;

public sealed class ReconcileCommandTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public async Task Reconcile_wait_returns_after_convergence_with_the_counts()
    {
        await using var db = await server.CreateDatabaseAsync();
        var missing = await db.Seed.OrganizationWithPrebuildsAsync("acme");
        var done = await db.Seed.OrganizationWithPrebuildsAsync("initech");
        await db.Seed.MembershipAsync(done, db.PrebuildsUserId);
        await db.Seed.GroupMemberAsync(await db.Seed.GroupAsync(done), db.PrebuildsUserId);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var amqp = isolated.AmqpUri;
        await using var worker = await WorkerHost.StartAsync(db, amqp);

        var run = await CliRun.ExecuteAsync(
            new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString, ["ConnectionStrings:RabbitMq"] = amqp },
            "reconcile", "--wait", "--timeout", "60s");

        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        Assert.Contains("2 organizations checked, 1 commands sent", run.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"{missing}: ensured; created: membership, group, group membership; already there: 0", run.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(missing, db.PrebuildsUserId));
    }

    [Fact]
    public async Task Reconcile_wait_without_a_worker_times_out_with_exit_1()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        var run = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "reconcile", "--wait", "--timeout", "2s");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no worker answered", run.StandardError, StringComparison.Ordinal);
    }
}
