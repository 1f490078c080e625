using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>The one place that decides queue arguments, and how a broker's refusal of them is read. No broker needed.</summary>
public sealed class QueueArgumentsTests
{
    [Fact]
    public void Quorum_receive_queues_have_their_type_and_a_delivery_limit_that_dead_letters_into_their_error_queue()
    {
        Assert.Equal(new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-delivery-limit"] = 20,
            ["x-dead-letter-exchange"] = "prebuilds-reconcile_error",
            ["x-dead-letter-strategy"] = "at-least-once",
            ["x-overflow"] = "reject-publish",
        }, QueueArguments.For(new BusOptions { QuorumQueues = true }, QueueNames.ReconcileRequested));
        Assert.Equal(7, QueueArguments.For(new BusOptions { QuorumQueues = true, QuorumDeliveryLimit = 7 }, QueueNames.ReconcileRequested)["x-delivery-limit"]);
        Assert.Equal("quorum", QueueArguments.QueueType(new BusOptions { QuorumQueues = true }));
    }

    [Fact]
    public void Error_and_skipped_queues_have_the_queue_type_only_and_a_limit_of_0_means_none()
    {
        var quorum = new BusOptions { QuorumQueues = true };
        Assert.Equal(new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, QueueArguments.For(quorum, QueueNames.ReconcileRequested + "_error"));
        Assert.Equal(new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, QueueArguments.For(quorum, QueueNames.ReconcileRequested + "_skipped"));
        Assert.Equal(new Dictionary<string, object?> { ["x-queue-type"] = "quorum" },
            QueueArguments.For(new BusOptions { QuorumQueues = true, QuorumDeliveryLimit = 0 }, QueueNames.ReconcileRequested));
    }

    [Fact]
    public void Classic_queues_are_declared_with_no_arguments()
    {
        Assert.All(QueueNames.WithCompanions(QueueNames.ReconcileRequested), queue => Assert.Empty(QueueArguments.For(new BusOptions(), queue)));
        Assert.Equal("classic", QueueArguments.QueueType(new BusOptions()));
    }

    [Fact]
    public void Every_receive_queue_comes_with_its_error_and_skipped_queues()
    {
        Assert.Equal(
            ["prebuilds-reconcile", "prebuilds-reconcile_error", "prebuilds-reconcile_skipped"],
            QueueNames.WithCompanions(QueueNames.ReconcileRequested));
        Assert.Equal(4, QueueNames.All.Distinct().Count());
    }

    [Theory]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received the value 'quorum' of type 'longstr' but current is none", "classic")]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received none but current is the value 'quorum' of type 'longstr'", "quorum")]
    [InlineData("PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received the value 'quorum' of type 'longstr' but current is the value 'stream' of type 'longstr'", "stream")]
    public void A_queue_type_conflict_names_the_type_the_broker_has(string reply, string current)
    {
        var conflict = QueueDeclareConflict.Parse(reply);

        Assert.NotNull(conflict);
        Assert.Equal("x-queue-type", conflict.Argument);
        Assert.Equal(current, conflict.CurrentQueueType);
    }

    [Fact]
    public void A_conflict_on_another_argument_names_that_argument_and_no_queue_type()
    {
        var conflict = QueueDeclareConflict.Parse(
            "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'q' in vhost '/': received the value '20' of type 'signedint' but current is none");

        Assert.NotNull(conflict);
        Assert.Equal("x-delivery-limit", conflict.Argument);
        Assert.Null(conflict.CurrentQueueType);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("PRECONDITION_FAILED - cannot declare queue 'q': exclusive")]
    public void Other_replies_are_not_argument_conflicts(string? reply) => Assert.Null(QueueDeclareConflict.Parse(reply));
}
