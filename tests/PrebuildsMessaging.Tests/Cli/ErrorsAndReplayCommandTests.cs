using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Tests.Cli;

/// <summary>The operator's commands for failed messages, on a real broker and a real database.</summary>
public sealed class ErrorsAndReplayCommandTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const string ReconcileErrors = "prebuilds-reconcile_error";

    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Bus:RetryLimit"] = "1",
        ["Bus:RetryMinInterval"] = "00:00:00.050",
        ["Bus:RetryMaxInterval"] = "00:00:00.100",
    };

    [Fact]
    public async Task Errors_lists_counts_and_reasons_and_consumes_nothing()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using (await WorkerHost.StartAsync(db, isolated.AmqpUri))
        {
            await TestPublisher.RawAsync(isolated.AmqpUri, TestPublisher.PresetsExchange, "this is not json", messageId: "aaaaaaaa-0000-0000-0000-000000000001");
            await TestPublisher.RawAsync(isolated.AmqpUri, TestPublisher.PresetsExchange, "{\"templateId\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"}", messageId: "aaaaaaaa-0000-0000-0000-000000000002");
            await isolated.WaitForMessagesAsync("prebuilds-presets-changed_error", 2);
        }

        var order = (await isolated.Management.PeekAsync("prebuilds-presets-changed_error", 10, CancellationToken.None)).Select(m => m.MessageId).ToList();
        var first = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "errors");
        var second = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "errors");

        Assert.Equal(1, first.ExitCode);
        Assert.Contains("prebuilds-presets-changed_error: 2 messages (from prebuilds-presets-changed)", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("id=aaaaaaaa-0000-0000-0000-000000000001", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("JsonReaderException", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("PresetsChanged has no organizationId", first.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("total: 1 queues, 2 messages", first.StandardOutput, StringComparison.Ordinal);
        // Listing consumed and reordered nothing: the second listing is the same, and the queue still holds both.
        Assert.Equal(first.StandardOutput, second.StandardOutput);
        var still = await isolated.Management.PeekAsync("prebuilds-presets-changed_error", 10, CancellationToken.None);
        Assert.Equal(order, still.Select(m => m.MessageId));
        Assert.Equal(["aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"], order.Order());
    }

    [Fact]
    public async Task After_a_database_outage_replay_all_converges_and_empties_the_error_queues()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, FastRetries);

        await FailDuringOutageAsync(db, isolated, orgs);

        var replay = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "replay", "--all");

        Assert.True(replay.ExitCode == 0, replay.StandardOutput + replay.StandardError);
        Assert.Matches(@"replay: [1-9]\d* moved, 0 skipped, 0 failed", replay.StandardOutput);
        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, $"organization {org} converges after the replay");
        }

        var errors = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "errors");
        Assert.True(errors.ExitCode == 0, errors.StandardOutput);
    }

    [Fact]
    public async Task Replaying_the_same_messages_twice_changes_nothing_the_second_time()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, FastRetries);

        var failed = await FailDuringOutageAsync(db, isolated, orgs);
        await DuplicateAsync(isolated.AmqpUri, ReconcileErrors);

        var replay = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "replay", "--queue", ReconcileErrors);

        Assert.True(replay.ExitCode == 0, replay.StandardOutput + replay.StandardError);
        Assert.Contains($"replay: {failed * 2} moved, 0 skipped, 0 failed", replay.StandardOutput, StringComparison.Ordinal);
        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, $"organization {org} converges");
        }

        // Each row once; a duplicate still in flight can only find its rows there.
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(*) FROM organization_members"));
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
        Assert.Equal(orgs.Count, await db.ScalarAsync<long>("SELECT count(*) FROM group_members"));
        var again = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "replay", "--all");
        Assert.Contains("replay: 0 moved, 0 skipped, 0 failed", again.StandardOutput, StringComparison.Ordinal);
    }

    /// <summary>Change events arrive while the database is down: their reconciliations fail into the error queue.</summary>
    private async Task<int> FailDuringOutageAsync(TestDatabase db, IsolatedBroker isolated, List<Guid> orgs)
    {
        await server.SetDatabaseAvailableAsync(db.Name, available: false);
        try
        {
            await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, orgs);
            // The events become one request or a few (they are coalesced), and every request fails while the database
            // is down: once the broker has every event and request acknowledged, the failed ones are in the error queue.
            await Eventually.TrueAsync(async () => await isolated.AllAcknowledgedAsync(QueueNames.PresetsChanged, orgs.Count) && await isolated.AllAcknowledgedAsync(QueueNames.ReconcileRequested),
                "every event and every request it led to is done with", TimeSpan.FromSeconds(60));
            return (await isolated.WaitForMessagesAsync(ReconcileErrors, 1)).Count;
        }
        finally
        {
            await server.SetDatabaseAvailableAsync(db.Name, available: true);
            db.DataSource.Clear(); // the test's own pooled connections were ended by the outage too
        }
    }

    /// <summary>Every message of the queue, twice: what an operator's double replay would bring back.</summary>
    private static async Task DuplicateAsync(string amqpUri, string queue)
    {
        await using var amqp = await TestPublisher.OpenChannelAsync(amqpUri);
        var channel = amqp.Channel;
        var taken = new List<BasicGetResult>();
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } message)
        {
            taken.Add(message);
        }

        foreach (var message in taken)
        {
            for (var copy = 0; copy < 2; copy++)
            {
                await channel.BasicPublishAsync("", queue, false, new BasicProperties(message.BasicProperties), message.Body);
            }

            await channel.BasicAckAsync(message.DeliveryTag, false);
        }
    }

    [Fact]
    public async Task Errors_and_replay_need_only_the_broker()
    {
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var brokerOnly = new Dictionary<string, string?>
        {
            ["ConnectionStrings:RabbitMq"] = isolated.AmqpUri,
            ["RabbitMq:ManagementUrl"] = isolated.ManagementUrl.ToString(),
        };

        var errors = await CliRun.ExecuteAsync(brokerOnly, "errors");
        var replay = await CliRun.ExecuteAsync(brokerOnly, "replay", "--all", "--dry-run");

        Assert.True(errors.ExitCode == 0, errors.StandardError);
        Assert.True(replay.ExitCode == 0, replay.StandardError);
        Assert.DoesNotContain("Postgres", errors.StandardError + replay.StandardError, StringComparison.Ordinal);
    }
}
