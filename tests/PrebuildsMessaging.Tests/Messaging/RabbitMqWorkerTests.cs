using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>The whole worker on a real RabbitMQ and a real PostgreSQL.</summary>
public sealed class RabbitMqWorkerTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const string StatusQueryMarker = StatementCounter.StatusQueryMarker;

    [Fact]
    public async Task A_presets_change_sets_up_its_organization_end_to_end()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri);

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
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var amqp = isolated.AmqpUri;
        await using var worker = await WorkerHost.StartAsync(db, amqp);

        // What a producer that is not MassTransit sends: camelCase JSON, no envelope.
        await TestPublisher.PresetsChangedAsync(amqp, [org]);

        await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), "the organization converges from a plain JSON event");
    }

    [Fact]
    [Trait("Category", "Timing")] // the burst's requests must arrive within a batch's longest wait (Bus:ReconcileBatchMaxWait)
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
        // Every event consumed and acknowledged, and every request it led to answered.
        await Eventually.TrueAsync(async () => await isolated.AllAcknowledgedAsync(QueueNames.PresetsChanged, atLeast: 1000) && await isolated.AllAcknowledgedAsync(QueueNames.ReconcileRequested),
            "all 1000 events and every request they led to acknowledged", TimeSpan.FromSeconds(60));

        var statusQueries = counter.Statements.Count(s => s.Contains(StatusQueryMarker, StringComparison.Ordinal));
        Assert.InRange(statusQueries, 1, 3);
    }

    [Fact]
    [Trait("Category", "Timing")] // Ctrl-C must land while the stream is still being written
    public async Task A_worker_stopped_with_ctrl_c_mid_stream_exits_cleanly_and_a_new_one_loses_no_message()
    {
        await using var db = await server.CreateDatabaseAsync();
        // Enough that one command at a time cannot finish them all between the first write and Ctrl-C.
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(2000);

        await using var isolated = await IsolatedBroker.CreateAsync(broker);

        var amqp = isolated.AmqpUri;
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
        // Nothing lost: every organization has its membership and its group too, not only a group membership.
        Assert.Empty(await db.IncompleteAsync());
    }

}
