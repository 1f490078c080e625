using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Schedule;

/// <summary>The schedule of a whole worker on a real RabbitMQ and a real PostgreSQL: what fires, how often, at what cost.</summary>
public sealed class ScheduledReconciliationTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const string StatusQueryMarker = StatementCounter.StatusQueryMarker;
    private const string QuartzTables = "prebuilds_messaging.qrtz_";

    [Fact]
    public async Task The_request_at_start_up_is_stamped_startup_and_converges_a_seeded_database()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var recorder = await ExchangeRecorder.StartAsync(isolated.AmqpUri, "PrebuildsMessaging.Contracts:ReconcileRequested", declare: true);

        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Schedule:RunAtStartup"] = "true",
            ["Schedule:Interval"] = "01:00:00",
        });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), "the start-up reconciliation converges the organization");
        await Eventually.TrueAsync(() => Task.FromResult(recorder.Messages.Count > 0), "the request is recorded");
        var request = Assert.Single(recorder.Messages);
        Assert.Equal(PrebuildsMessaging.Contracts.ReconcileSources.Startup, request.GetProperty("source").GetString());
    }

    [Fact]
    public async Task The_schedule_alone_converges_a_seeded_database()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);

        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Schedule:Interval"] = "00:00:01",
        });

        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), $"organization {org} converges from the schedule");
        }
    }

    [Fact]
    public async Task A_changed_interval_reaches_the_stored_trigger_and_an_unchanged_one_leaves_it_alone()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var amqp = isolated.AmqpUri;
        const string storedInterval = "SELECT repeat_interval FROM prebuilds_messaging.qrtz_simple_triggers";
        const string nextFire = "SELECT next_fire_time FROM prebuilds_messaging.qrtz_triggers";

        await using (await WorkerHost.StartAsync(db, amqp, new Dictionary<string, string?> { ["Schedule:Interval"] = "01:00:00" }))
        {
        }

        Assert.Equal(3_600_000, await db.ScalarAsync<long>(storedInterval));
        var firstNextFire = await db.ScalarAsync<long>(nextFire);

        await using (await WorkerHost.StartAsync(db, amqp, new Dictionary<string, string?> { ["Schedule:Interval"] = "01:00:00" }))
        {
        }

        Assert.Equal(firstNextFire, await db.ScalarAsync<long>(nextFire)); // a replica starting with the same schedule replaces nothing

        await using (await WorkerHost.StartAsync(db, amqp, new Dictionary<string, string?> { ["Schedule:Interval"] = "00:10:00" }))
        {
        }

        Assert.Equal(600_000, await db.ScalarAsync<long>(storedInterval));
    }

    [Fact]
    public async Task A_converged_database_costs_only_status_queries_per_scheduled_tick()
    {
        await using var db = await server.CreateDatabaseAsync();
        for (var i = 0; i < 3; i++)
        {
            var org = await db.Seed.OrganizationWithPrebuildsAsync();
            await db.Seed.MembershipAsync(org, db.PrebuildsUserId);
            await db.Seed.GroupMemberAsync(await db.Seed.GroupAsync(org), db.PrebuildsUserId);
        }

        using var counter = new StatementCounter(db.Name);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Schedule:Interval"] = "00:00:01",
        });

        await Eventually.TrueAsync(() => Task.FromResult(counter.Statements.Count(s => s.Contains(StatusQueryMarker, StringComparison.Ordinal)) >= 3),
            "three scheduled ticks");

        // Quartz's clustered store keeps its own bookkeeping in prebuilds_messaging.qrtz_*, and the worker reads the
        // recommended index's state at start (then every 5 minutes) and Coder's pause once at start (then only while
        // it is on); everything the reconciliation itself ran is the status query, and no command wrote anything.
        const string IndexCheck = "RecommendedPresetIndexState :one";
        const string PauseCheck = "GetCoderPause :one";
        Assert.InRange(counter.Statements.Count(s => s.Contains(IndexCheck, StringComparison.Ordinal)), 0, 1);
        Assert.InRange(counter.Statements.Count(s => s.Contains(PauseCheck, StringComparison.Ordinal)), 0, 1);
        var reconciliation = counter.Statements
            .Where(s => !s.Contains(QuartzTables, StringComparison.Ordinal) && !s.Contains(IndexCheck, StringComparison.Ordinal)
                        && !s.Contains(PauseCheck, StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(reconciliation);
        Assert.All(reconciliation, s => Assert.Contains(StatusQueryMarker, s, StringComparison.Ordinal));
    }
}
