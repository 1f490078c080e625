using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>The whole worker on a real RabbitMQ and a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RabbitMqWorkerTests(PostgresServer server, RabbitMqBroker broker)
{
    private const string StatusQueryMarker = StatementCounter.StatusQueryMarker;
    private const string QuartzTables = "prebuilds_messaging.qrtz_";

    [Fact]
    public async Task A_presets_change_sets_up_its_organization_end_to_end()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var worker = await WorkerHost.StartAsync(db, await broker.GetAmqpUriAsync());

        await worker.Services.GetRequiredService<IBus>().Publish(new PresetsChanged
        {
            OrganizationId = org, TemplateId = Guid.NewGuid(), TemplateVersionId = Guid.NewGuid(), OccurredAt = DateTimeOffset.UtcNow,
        });

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), "the organization has its membership, group and group membership");
    }

    [Fact]
    public async Task A_plain_json_presets_change_published_to_the_exchange_does_the_same()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var amqp = await broker.GetAmqpUriAsync();
        await using var worker = await WorkerHost.StartAsync(db, amqp);

        // What a producer that is not MassTransit sends: camelCase JSON, no envelope.
        await TestPublisher.PresetsChangedAsync(amqp, [org]);

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), "the organization converges from a plain JSON event");
    }

    [Fact]
    public async Task The_schedule_alone_converges_a_seeded_database()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);

        await using var worker = await WorkerHost.StartAsync(db, await broker.GetAmqpUriAsync(), new Dictionary<string, string?>
        {
            ["Schedule:Interval"] = "00:00:01",
        });

        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), $"organization {org} converges from the schedule");
        }
    }

    [Theory]
    [InlineData("Postgres", 1)] // the clustered store: one firing per interval between the two replicas
    [InlineData("InMemory", 2)] // the in-memory store: each replica fires every interval on its own
    public async Task Two_replicas_fire_once_per_interval_between_them_on_the_clustered_store_and_each_on_the_in_memory_store(string store, int firingsPerInterval)
    {
        await using var db = await server.CreateDatabaseAsync();
        var amqp = await broker.GetAmqpUriAsync();
        // One request per batch, so every firing is one status query, logged by the process that ran it.
        var settings = new Dictionary<string, string?>
        {
            ["Schedule:Interval"] = "00:00:01",
            ["Schedule:Store"] = store,
            ["Bus:ReconcileBatchMessageLimit"] = "1",
            ["Bus:ReconcileBatchTimeLimit"] = "00:00:00.010",
        };
        // Two replicas are two processes, as in production (Quartz registers schedulers per process).
        await using var first = await WorkerProcess.StartAsync(db, amqp, settings);
        await using var second = await WorkerProcess.StartAsync(db, amqp, settings);
        int Reconciliations() => ReconciliationLines(first.Output) + ReconciliationLines(second.Output);
        await Eventually.TrueAsync(() => Task.FromResult(Reconciliations() >= 2), "both schedulers are running");

        // Time the next six firings: about 6 s at one per interval, about 3 s at two per interval.
        const int firings = 6;
        var before = Reconciliations();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Eventually.TrueAsync(() => Task.FromResult(Reconciliations() >= before + firings), $"{firings} more firings");
        var perInterval = firings / clock.Elapsed.TotalSeconds;

        Assert.True(Math.Abs(perInterval - firingsPerInterval) < 0.5,
            $"{perInterval:F2} firings per one-second interval on the {store} store, expected about {firingsPerInterval}");
    }

    [Fact]
    public async Task A_changed_interval_reaches_the_stored_trigger_and_an_unchanged_one_leaves_it_alone()
    {
        await using var db = await server.CreateDatabaseAsync();
        var amqp = await broker.GetAmqpUriAsync();
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
        await using var worker = await WorkerHost.StartAsync(db, await broker.GetAmqpUriAsync(), new Dictionary<string, string?>
        {
            ["Schedule:Interval"] = "00:00:01",
        });

        await Eventually.TrueAsync(() => Task.FromResult(counter.Statements.Count(s => s.Contains(StatusQueryMarker, StringComparison.Ordinal)) >= 3),
            "three scheduled ticks");

        // Quartz's clustered store keeps its own bookkeeping in prebuilds_messaging.qrtz_*; everything the
        // reconciliation itself ran is the status query, and no command wrote anything.
        var reconciliation = counter.Statements.Where(s => !s.Contains(QuartzTables, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(reconciliation);
        Assert.All(reconciliation, s => Assert.Contains(StatusQueryMarker, s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_burst_of_1000_change_events_over_50_organizations_costs_at_most_3_status_queries()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(50);

        using var counter = new StatementCounter(db.Name);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        // The service's default batching, as an operator runs it.
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Bus:ReconcileBatchTimeLimit"] = new BusOptions().ReconcileBatchTimeLimit.ToString(),
        });
        var answered = new System.Collections.Concurrent.ConcurrentDictionary<Guid, bool>();
        var listener = worker.Services.GetRequiredService<IBus>().ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance,
            e => e.Handler<ReconciliationCompleted>(context =>
            {
                foreach (var id in context.Message.RequestIds)
                {
                    answered[id] = true;
                }

                return Task.CompletedTask;
            }));
        await listener.Ready;
        var events = Enumerable.Range(0, 1000).Select(i => orgs[i % orgs.Count]);
        await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, events);

        await Eventually.TrueAsync(async () =>
        {
            foreach (var org in orgs)
            {
                if (!await db.Seed.ConvergedAsync(org, db.PrebuildsUserId))
                {
                    return false;
                }
            }

            return true;
        }, "all 50 organizations converge", TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(() => Task.FromResult(answered.Count == 1000), "every one of the 1000 requests gets its ReconciliationCompleted", TimeSpan.FromSeconds(60));
        await listener.StopAsync();

        var statusQueries = counter.Statements.Count(s => s.Contains(StatusQueryMarker, StringComparison.Ordinal));
        Assert.InRange(statusQueries, 1, 3);
    }

    [Fact]
    public async Task A_worker_stopped_with_ctrl_c_mid_stream_exits_cleanly_and_a_new_one_loses_no_message()
    {
        await using var db = await server.CreateDatabaseAsync();
        // Enough that one command at a time cannot finish them all between the first write and Ctrl-C.
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(2000);

        var amqp = await broker.GetAmqpUriAsync();
        var first = await WorkerProcess.StartAsync(db, amqp, new Dictionary<string, string?>
        {
            ["Bus:EnsureConcurrency"] = "1",
            ["Bus:EnsureBatchMessageLimit"] = "1", // one command at a time, so that Ctrl-C lands mid-stream
        });
        await TestPublisher.PresetsChangedAsync(amqp, orgs);
        await Eventually.TrueAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM groups") > 0, "the first worker has started writing");

        var exitCode = await first.StopAsync();
        var doneWhenStopped = await db.ScalarAsync<long>("SELECT count(*) FROM group_members");
        await first.DisposeAsync();

        Assert.Equal(0, exitCode);
        Assert.Contains("Application is shutting down", first.Output, StringComparison.Ordinal);
        Assert.True(doneWhenStopped < orgs.Count, $"the first worker was stopped mid-stream ({doneWhenStopped} of {orgs.Count} done)");

        await using var second = await WorkerHost.StartAsync(db, amqp);
        await Eventually.TrueAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM group_members") == orgs.Count,
            "every organization converges after the restart", TimeSpan.FromSeconds(60));
        // One of each row per organization: nothing lost, nothing twice.
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(DISTINCT organization_id) FROM organization_members"));
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(*) FROM organization_members"));
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(DISTINCT organization_id) FROM groups"));
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
    }

    private static int ReconciliationLines(string output) =>
        output.Split('\n').Count(line => line.Contains("organizations checked", StringComparison.Ordinal));
}
