using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>
/// Bus:QuorumQueues on a real RabbitMQ: every way into the flow converges, and a virtual host whose queues
/// were declared with the other type stops the worker at start with a message that says what to do.
/// </summary>
public sealed class QuorumQueueTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private static readonly Dictionary<string, string?> Quorum = new() { ["Bus:QuorumQueues"] = "true" };

    [Theory]
    [InlineData(false, "classic")]
    [InlineData(true, "quorum")]
    public async Task Every_queue_and_its_companions_have_the_configured_type_and_the_flow_converges_through_them(bool quorum, string expectedType)
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?> { ["Bus:QuorumQueues"] = quorum.ToString() });

        // The reconcile consumer sends EnsureOrgPrebuildSetup to its queue: the send must not fight the queue's type.
        await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, [org]);
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), "the organization converges");

        foreach (var queue in QueueNames.All.SelectMany(QueueNames.WithCompanions))
        {
            var properties = await isolated.QueueAsync(queue);
            Assert.True(properties.GetProperty("durable").GetBoolean(), queue);
            Assert.Equal((queue, expectedType), (queue, properties.GetProperty("type").GetString()));
            var arguments = properties.GetProperty("arguments");
            var receiveQueue = !QueueNames.IsCompanion(queue);
            Assert.Equal((queue, quorum && receiveQueue), (queue, arguments.TryGetProperty("x-delivery-limit", out var limit) && limit.GetInt32() == 20));
            Assert.Equal((queue, quorum && receiveQueue), (queue, arguments.TryGetProperty("x-dead-letter-exchange", out var dlx) && dlx.GetString() == queue + "_error"));
        }
    }

    [Fact]
    public async Task The_startup_reconciliation_converges_a_seeded_database()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = new[] { await db.Seed.OrganizationWithPrebuildsAsync(), await db.Seed.OrganizationWithPrebuildsAsync() };
        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>(Quorum)
        {
            ["Schedule:RunAtStartup"] = "true",
        });

        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), $"organization {org} converges from the start-up reconciliation");
        }
    }

    [Fact]
    public async Task Reconcile_wait_reports_the_setup_it_started()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, Quorum);

        var run = await CliRun.ExecuteAsync(new Dictionary<string, string?>(isolated.CliEnvironment(db)) { ["Bus:QuorumQueues"] = "true" },
            "reconcile", "--wait", "--timeout", "60s");

        Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
        Assert.Contains($"{org}: ensured; created: membership, group, group membership", run.StandardOutput, StringComparison.Ordinal);
        Assert.True(await db.Seed.ConvergedAsync(org, db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_command_replayed_from_its_error_queue_converges()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var lateUser = Guid.NewGuid(); // configured, but not created yet: the command fails into its error queue
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>(Quorum)
        {
            ["Prebuilds:UserId"] = lateUser.ToString(),
        });

        await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, [org]);
        await isolated.WaitForMessagesAsync(QueueNames.EnsureOrgPrebuildSetup + "_error", 1);
        await db.Seed.UserAsync(lateUser, "prebuilds");

        var replay = await CliRun.ExecuteAsync(new Dictionary<string, string?>(isolated.CliEnvironment(db)) { ["Bus:QuorumQueues"] = "true" },
            "replay", "--queue", QueueNames.EnsureOrgPrebuildSetup + "_error");

        Assert.True(replay.ExitCode == 0, replay.StandardOutput + replay.StandardError);
        Assert.Contains("replay: 1 moved, 0 skipped, 0 failed", replay.StandardOutput, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, lateUser), "the organization converges after the replay");
    }

    [Theory]
    [InlineData(false, "classic", "quorum")]
    [InlineData(true, "quorum", "classic")]
    public async Task A_worker_meeting_queues_of_the_other_type_stops_at_start_and_says_what_to_do(bool existingQuorum, string existing, string wanted)
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using (await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?> { ["Bus:QuorumQueues"] = existingQuorum.ToString() }))
        {
        }

        var run = await CliRun.ExecuteAsync(new Dictionary<string, string?>(isolated.CliEnvironment(db))
        {
            ["Bus:QuorumQueues"] = (!existingQuorum).ToString(),
            ["Schedule:Interval"] = "01:00:00",
            ["Health:Enabled"] = "false",
        }, "run");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"Bus:QuorumQueues={(existingQuorum ? "false" : "true")} needs {wanted} queues", run.StandardError, StringComparison.Ordinal);
        Assert.Contains($"Queue '{QueueNames.TemplateChanged}' is a {existing} queue.", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("drain", run.StandardError, StringComparison.Ordinal);
        Assert.Contains("fresh virtual host", run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("guest:guest", run.StandardError + run.StandardOutput, StringComparison.Ordinal);
        // Nothing was changed on the broker: the queue keeps its type.
        Assert.Equal(existing, (await isolated.QueueAsync(QueueNames.TemplateChanged)).GetProperty("type").GetString());
    }
}
