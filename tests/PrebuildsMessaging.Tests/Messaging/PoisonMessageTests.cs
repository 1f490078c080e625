using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>Bad input lands in an _error or _skipped queue with a reason a person can read; nothing else stalls.</summary>
public sealed class PoisonMessageTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    private const int RetryLimit = 3;

    /// <summary>Commands sent together arrive in one batch; retries are quick.</summary>
    private static readonly Dictionary<string, string?> OneBatchQuickRetries = new()
    {
        ["Bus:EnsureBatchTimeLimit"] = "00:00:01",
        ["Bus:RetryLimit"] = RetryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus:RetryMinInterval"] = "00:00:00.010",
        ["Bus:RetryMaxInterval"] = "00:00:00.050",
    };

    public static TheoryData<string, string, string, string, string> Cases() => new()
    {
        // name, content type, body, queue it lands in, text the fault reason contains
        { "not JSON", "application/json", "this is not json", "prebuilds-presets-changed_error", "JsonReaderException" },
        { "JSON of the wrong shape", "application/json", "[1, 2, 3]", "prebuilds-presets-changed_error", "The PresetsChanged message body is a JSON array; expected a JSON object" },
        { "missing organizationId", "application/json", "{\"templateId\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"}", "prebuilds-presets-changed_error", "has no organizationId" },
        { "empty organizationId", "application/json", "{\"organizationId\":\"00000000-0000-0000-0000-000000000000\"}", "prebuilds-presets-changed_error", "has no organizationId" },
        { "organizationId that is not a GUID", "application/json", "{\"organizationId\":\"not-a-guid\"}", "prebuilds-presets-changed_error", "PresetsChanged.organizationId is not a GUID: \"not-a-guid\"." },
        { "a body of null", "application/json", "null", "prebuilds-presets-changed_error", "The PresetsChanged message body is JSON null; expected a JSON object such as {\"organizationId\": \"<GUID>\"}." },
        { "organizationId as a number", "application/json", "{\"organizationId\":42}", "prebuilds-presets-changed_error", "PresetsChanged.organizationId must be a GUID in a JSON string, like \"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"; it is a JSON number." },
        {
            "unknown message type", "application/vnd.masstransit+json",
            "{\"messageId\":\"5e1f0000-0000-0000-0000-000000000001\",\"messageType\":[\"urn:message:Somebody.Else:SomethingHappened\"],\"message\":{\"organizationId\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\"}}",
            "prebuilds-presets-changed_skipped", "no consumer on this endpoint handles"
        },
        {
            "a message larger than Bus:MaxMessageBytes", "application/json",
            "{\"organizationId\":\"9c4f3a8e-4a1e-4d3b-9a8e-2b1f0c9d7e6a\",\"padding\":\"" + new string('x', 4096) + "\"}",
            "prebuilds-presets-changed_error", "more than Bus:MaxMessageBytes"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_lands_in_an_error_queue_with_its_reason_and_nothing_stalls(
        string name, string contentType, string body, string queue, string reason)
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["Bus:MaxMessageBytes"] = "2048",
            ["Bus:RetryMinInterval"] = "00:00:00.010",
            ["Bus:RetryMaxInterval"] = "00:00:00.050",
        });

        await TestPublisher.RawAsync(isolated.AmqpUri, TestPublisher.PresetsExchange, body, contentType);
        var landed = await isolated.WaitForMessagesAsync(queue, 1);

        var message = Assert.Single(landed);
        var described = $"{message.Reason} {message.ExceptionType}: {message.ExceptionMessage}";
        Assert.True(described.Contains(reason, StringComparison.Ordinal), $"{name}: {described}");
        Assert.Equal(0, message.RetryCount); // bad input is never retried (the worker would retry 5 times)

        // The next good event is handled as usual.
        await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, [org]);
        await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, $"{name}: a good event after it still converges");
    }

    [Fact]
    public async Task A_setup_command_without_an_organization_faults_alone_and_the_rest_of_its_batch_converges()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);

        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, OneBatchQuickRetries);
        using var metrics = new MetricRecorder(worker.Services);

        await TestPublisher.EnsureCommandsAsync(isolated.AmqpUri, [.. orgs[..2], Guid.Empty, .. orgs[2..]], db.PrebuildsUserId);

        var message = Assert.Single(await isolated.WaitForMessagesAsync(QueueNames.EnsureOrgPrebuildSetup + "_error", 1));
        Assert.Contains("EnsureOrgPrebuildSetup has no organizationId", message.ExceptionMessage, StringComparison.Ordinal);
        // Never retried: once inside its batch (if it had company), once alone. A batch's retries leave no
        // MT-Fault-RetryCount on its messages, so the attempts are counted instead.
        Assert.InRange(metrics.Sum("prebuilds.ensures", "outcome", "failed"), 1, 2);
        foreach (var org in orgs)
        {
            await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, $"organization {org} converges");
        }

        Assert.Single(await isolated.Management.PeekAsync(QueueNames.EnsureOrgPrebuildSetup + "_error", 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_setup_command_whose_organization_the_database_refuses_is_retried_and_dead_lettered_alone()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(5);
        await db.Seed.RefuseGroupsAsync(orgs[2]);

        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, OneBatchQuickRetries);
        using var metrics = new MetricRecorder(worker.Services);

        await TestPublisher.EnsureCommandsAsync(isolated.AmqpUri, orgs, db.PrebuildsUserId);

        var message = Assert.Single(await isolated.WaitForMessagesAsync(QueueNames.EnsureOrgPrebuildSetup + "_error", 1));
        Assert.Contains($"organization {orgs[2]} refuses its group", message.ExceptionMessage, StringComparison.Ordinal);
        foreach (var org in orgs.Where(o => o != orgs[2]))
        {
            await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, $"organization {org} converges");
        }

        Assert.Single(await isolated.Management.PeekAsync(QueueNames.EnsureOrgPrebuildSetup + "_error", 10, CancellationToken.None));
        // Alone, it was tried once and retried RetryLimit times (and failed once more inside its first batch, if it had company).
        Assert.InRange(metrics.Sum("prebuilds.ensures", "outcome", "failed"), 1 + RetryLimit, 2 + RetryLimit);
    }

    [Fact]
    public async Task A_setup_command_for_an_organization_that_does_not_exist_is_organization_gone_not_a_fault()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri);
        var bus = worker.Services.GetRequiredService<IBus>();
        var outcome = new TaskCompletionSource<OrgPrebuildSetupEnsured>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ghost = Guid.NewGuid();
        var listener = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance,
            e => e.Handler<OrgPrebuildSetupsEnsured>(context =>
            {
                if (context.Message.Organizations.FirstOrDefault(o => o.OrganizationId == ghost) is { } mine)
                {
                    outcome.TrySetResult(mine);
                }

                return Task.CompletedTask;
            }));
        await listener.Ready;
        var endpoint = await bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress);

        await endpoint.Send(new EnsureOrgPrebuildSetup
        {
            OrganizationId = ghost,
            OrganizationName = "ghost",
            UserId = db.PrebuildsUserId,
            GroupName = "coderprebuiltworkspaces",
            ReconciliationId = Guid.NewGuid(),
        });

        // The consumer succeeded (its event leaves only then), so no fault can follow: the error queue stays empty.
        var ensured = await outcome.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(EnsureOutcomes.OrganizationGone, ensured.Outcome);
        Assert.Empty(await isolated.Management.PeekAsync(QueueNames.EnsureOrgPrebuildSetup + "_error", 1, CancellationToken.None));
        await listener.StopAsync();
        Assert.Equal(0, await db.ScalarAsync<long>("SELECT count(*) FROM groups"));
    }
}
