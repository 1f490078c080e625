using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>Bus:QuorumDeliveryLimit on a real RabbitMQ: a message that is never acknowledged ends in its _error queue.</summary>
// Timing: bound by redeliveries up to the delivery limit.
[Trait("Category", "Timing")]
public sealed class DeliveryLimitTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public async Task A_message_returned_unacknowledged_the_limit_of_times_is_dead_lettered_into_its_error_queue_and_errors_says_why()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var settings = new Dictionary<string, string?> { ["Bus:QuorumQueues"] = "true", ["Bus:QuorumDeliveryLimit"] = "3" };
        await using (await WorkerHost.StartAsync(db, isolated.AmqpUri, settings))
        {
        }

        // What a worker that dies while handling a message does to it, delivery after delivery: returns it unacknowledged.
        await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, [Guid.NewGuid()]);
        await using var amqp = await TestPublisher.OpenChannelAsync(isolated.AmqpUri);
        var deliveries = 0;
        await Eventually.TrueAsync(async () =>
        {
            var delivery = await amqp.Channel.BasicGetAsync(QueueNames.PresetsChanged, autoAck: false);
            if (delivery is null)
            {
                return (await isolated.Management.PeekAsync(QueueNames.PresetsChanged + "_error", 10, CancellationToken.None)).Count == 1;
            }

            deliveries++;
            await amqp.Channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true);
            return false;
        }, "the message leaves its queue for the error queue");

        Assert.InRange(deliveries, 3, 4); // delivered up to the limit; the one after it is dead-lettered instead
        var landed = Assert.Single(await isolated.Management.PeekAsync(QueueNames.PresetsChanged + "_error", 10, CancellationToken.None));
        Assert.Equal("delivery-limit", landed.Reason);
        Assert.Contains("Bus:QuorumDeliveryLimit", landed.ExceptionMessage, StringComparison.Ordinal);

        var errors = await CliRun.ExecuteAsync(new Dictionary<string, string?>(isolated.CliEnvironment(db)) { ["Bus:QuorumQueues"] = "true" }, "errors");
        Assert.Equal(1, errors.ExitCode);
        Assert.Contains("reason=delivery-limit", errors.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quorum_queues_without_the_limit_stop_a_worker_that_wants_one_and_a_limit_of_0_keeps_them()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using (await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?> { ["Bus:QuorumQueues"] = "true", ["Bus:QuorumDeliveryLimit"] = "0" }))
        {
        }

        var settings = new Dictionary<string, string?>(isolated.CliEnvironment(db))
        {
            ["Bus:QuorumQueues"] = "true",
            ["Schedule:Interval"] = "01:00:00",
            ["Health:Enabled"] = "false",
        };
        var refused = await CliRun.ExecuteAsync(settings, "run");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("Bus:QuorumDeliveryLimit=20 (with Bus:QuorumQueues=true) needs other queue arguments", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains($"Queue '{QueueNames.TemplateChanged}' has other arguments", refused.StandardError, StringComparison.Ordinal);
        Assert.Contains("set Bus:QuorumDeliveryLimit=0 to keep these queues as they are", refused.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain($"Queue '{QueueNames.TemplateChanged}_error'", refused.StandardError, StringComparison.Ordinal); // companions agree

        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?> { ["Bus:QuorumQueues"] = "true", ["Bus:QuorumDeliveryLimit"] = "0" });
        Assert.Contains("as quorum queues", worker.Output, StringComparison.Ordinal);
    }
}
