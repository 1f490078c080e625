using MassTransit.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Tests.Messaging;

/// <summary>The consumers on MassTransit's in-memory harness, against a real PostgreSQL.</summary>
public sealed class ConsumerHarnessTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_template_change_requests_a_reconciliation_of_its_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        var org = Guid.NewGuid();

        await harness.Bus.Publish(new TemplateChanged { OrganizationId = org, TemplateId = Guid.NewGuid(), Change = TemplateChanges.ActiveVersionChanged });

        Assert.True(await harness.Published.Any<ReconcileRequested>(m =>
            m.Context.Message.Source == ReconcileSources.TemplateChanged && m.Context.Message.OrganizationIds.SequenceEqual([org])));
    }

    [Fact]
    public async Task A_presets_change_requests_a_reconciliation_of_its_organization()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        var org = Guid.NewGuid();

        await harness.Bus.Publish(new PresetsChanged { OrganizationId = org, TemplateId = Guid.NewGuid(), TemplateVersionId = Guid.NewGuid() });

        Assert.True(await harness.Published.Any<ReconcileRequested>(m =>
            m.Context.Message.Source == ReconcileSources.PresetsChanged && m.Context.Message.OrganizationIds.SequenceEqual([org])));
    }

    [Fact]
    public async Task A_change_event_without_an_organization_faults_with_its_reason()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;

        await harness.Bus.Publish(new PresetsChanged { TemplateId = Guid.NewGuid() });

        Assert.True(await harness.Published.Any<Fault<PresetsChanged>>());
        // That it is not retried is checked on a real broker (PoisonMessageTests: MT-Fault-RetryCount).
        var fault = harness.Published.Select<Fault<PresetsChanged>>().Single().Context.Message;
        Assert.Contains("organizationId", fault.Exceptions[0].Message, StringComparison.Ordinal);
        Assert.False(await harness.Published.Any<ReconcileRequested>());
    }

    [Fact]
    public async Task A_pass_for_a_batch_of_scoped_and_full_requests_runs_one_status_query()
    {
        await using var db = await server.CreateDatabaseAsync();
        var orgs = await db.Seed.OrganizationsWithPrebuildsAsync(3);

        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        using var counter = new StatementCounter(db.Name);

        var requests = new List<ReconcileRequested>
        {
            new() { RequestId = Guid.NewGuid(), OrganizationIds = [orgs[0]], Source = ReconcileSources.PresetsChanged },
            new() { RequestId = Guid.NewGuid(), OrganizationIds = [orgs[1]], Source = ReconcileSources.TemplateChanged },
            new() { RequestId = Guid.NewGuid(), OrganizationIds = [], Source = ReconcileSources.Schedule },
            new() { RequestId = Guid.NewGuid(), OrganizationIds = [orgs[0]], Source = ReconcileSources.Manual },
        };
        // The batch the requests would form under load (ReconciliationBatches decides which share a pass).
        await started.Services.GetRequiredService<ReconciliationPass>().RunAsync(requests, CancellationToken.None);

        Assert.True(await harness.Published.Any<ReconciliationCompleted>());
        var completed = Assert.Single(harness.Published.Select<ReconciliationCompleted>()).Context.Message;
        Assert.Equal(requests.Select(r => r.RequestId).Order(), completed.RequestIds.Order());
        Assert.Empty(completed.OrganizationIds); // one "all" in the batch means all
        Assert.Equal(3, completed.OrganizationsChecked);
        Assert.Equal(3, completed.CommandsSent);
        Assert.Equal(1, counter.Statements.Count(s => s.Contains(StatementCounter.StatusQueryMarker, StringComparison.Ordinal)));
        Assert.True(await harness.Published.Any<OrgPrebuildSetupsEnsured>(m => m.Context.Message.Organizations.Any(o => o.OrganizationId == orgs[2])));
    }

    [Fact]
    public async Task A_change_request_made_before_a_finished_read_is_answered_without_a_query_and_a_manual_one_always_queries()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        using var counter = new StatementCounter(db.Name);
        int StatusQueries() => counter.Statements.Count(s => s.Contains(StatementCounter.StatusQueryMarker, StringComparison.Ordinal));
        // The harness's own waits end at its first quiet moment; this test takes several steps, so it listens itself.
        var answers = new System.Collections.Concurrent.ConcurrentDictionary<Guid, ReconciliationCompleted>();
        var listener = harness.Bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance,
            e => e.Handler<ReconciliationCompleted>(context =>
            {
                foreach (var id in context.Message.RequestIds)
                {
                    answers[id] = context.Message;
                }

                return Task.CompletedTask;
            }));
        await listener.Ready;
        async Task<ReconciliationCompleted> AnswerAsync(string source, DateTimeOffset requestedAt)
        {
            var request = new ReconcileRequested { RequestId = Guid.NewGuid(), OrganizationIds = [org], Source = source, RequestedAt = requestedAt };
            await harness.Bus.Publish(request);
            await Eventually.TrueAsync(() => Task.FromResult(answers.ContainsKey(request.RequestId)), $"the {source} request is answered");
            return answers[request.RequestId];
        }

        var first = await AnswerAsync(ReconcileSources.PresetsChanged, DateTimeOffset.UtcNow);
        Assert.Equal((1, 1, 1), (StatusQueries(), first.OrganizationsChecked, first.CommandsSent));

        // Made a minute before that read started: the read saw its change.
        var covered = await AnswerAsync(ReconcileSources.PresetsChanged, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1));
        Assert.Equal(covered.RequestIds, covered.CoveredRequestIds);
        Assert.Equal((0, 0), (covered.OrganizationsChecked, covered.CommandsSent));
        Assert.Equal(1, StatusQueries());

        // The same age, asked for by a person: it runs.
        var manual = await AnswerAsync(ReconcileSources.Manual, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(1));
        Assert.Empty(manual.CoveredRequestIds);
        Assert.Equal(1, manual.OrganizationsChecked);
        Assert.Equal(2, StatusQueries());
    }

    [Fact]
    public async Task An_ensure_publishes_its_outcome()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        var reconciliationId = Guid.NewGuid();

        var endpoint = await harness.Bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress);
        await endpoint.Send(Command(org, db.PrebuildsUserId, reconciliationId));

        Assert.True(await harness.Published.Any<OrgPrebuildSetupsEnsured>());
        var ensured = Assert.Single(Entries(harness));
        Assert.Equal(org, ensured.OrganizationId);
        Assert.Equal(reconciliationId, ensured.ReconciliationId);
        Assert.Equal(EnsureOutcomes.Ensured, ensured.Outcome);
        Assert.True(ensured.MembershipCreated && ensured.GroupCreated && ensured.GroupMembershipCreated);
        Assert.Equal(1, await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId));
    }

    [Fact]
    public async Task A_duplicate_command_is_safe_and_creates_nothing_the_second_time()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        var endpoint = await harness.Bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress);
        var command = Command(org, db.PrebuildsUserId, Guid.NewGuid());

        await endpoint.Send(command);
        await endpoint.Send(command);

        // In one batch the second is answered by the first's writes; in two batches (or two at once) the second
        // finds the rows there. Whichever way, each row is created once.
        await Eventually.TrueAsync(() => Task.FromResult(Entries(harness).Count == 2), "both outcomes");
        var outcomes = Entries(harness);
        Assert.Single(outcomes, o => o.MembershipCreated);
        Assert.Single(outcomes, o => o.GroupCreated);
        Assert.Single(outcomes, o => o.GroupMembershipCreated);
        Assert.All(outcomes, o => Assert.Equal(EnsureOutcomes.Ensured, o.Outcome));
        Assert.True(await db.Seed.HasMembershipAsync(org, db.PrebuildsUserId));
        Assert.Equal(1, await db.Seed.GroupCountAsync(org));
    }

    [Fact]
    public async Task A_missing_prebuilds_user_is_not_retried()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var ghost = Guid.NewGuid();
        await using var started = await HarnessServices.StartAsync(db, new Dictionary<string, string?> { ["Prebuilds:UserId"] = ghost.ToString() });
        var harness = started.Harness;
        using var counter = new StatementCounter(db.Name);

        var endpoint = await harness.Bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress);
        await endpoint.Send(Command(org, ghost, Guid.NewGuid()));

        Assert.True(await harness.Published.Any<Fault<EnsureOrgPrebuildSetup>>());
        var fault = harness.Published.Select<Fault<EnsureOrgPrebuildSetup>>().Single().Context.Message;
        Assert.Equal(typeof(PrebuildsUserMissingException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.Contains(ghost.ToString(), fault.Exceptions[0].Message, StringComparison.Ordinal);
        // With RetryLimit 3 a retried command would try its first insert four times.
        Assert.Equal(1, counter.Statements.Count(s => s.Contains("INSERT INTO organization_members", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_command_for_another_user_is_superseded_writes_nothing_and_reconciles_its_organization_afresh()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        await using var started = await HarnessServices.StartAsync(db);
        var harness = started.Harness;
        var endpoint = await harness.Bus.GetSendEndpoint(QueueNames.EnsureOrgPrebuildSetupAddress);
        var formerUser = Guid.NewGuid();

        await endpoint.Send(Command(org, formerUser, Guid.NewGuid()));

        Assert.True(await harness.Published.Any<OrgPrebuildSetupsEnsured>());
        var entry = Assert.Single(Entries(harness), e => e.Outcome == EnsureOutcomes.Superseded);
        Assert.Equal((org, false, false), (entry.OrganizationId, entry.MembershipCreated, entry.GroupCreated));
        Assert.True(await harness.Published.Any<ReconcileRequested>(m =>
            m.Context.Message.Source == ReconcileSources.Superseded && m.Context.Message.OrganizationIds.SequenceEqual([org])));
        Assert.False(await db.Seed.HasMembershipAsync(org, formerUser));
        // The fresh reconciliation sets the organization up for the configured user.
        await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, "the organization converges for the configured user");
    }

    private static List<OrgPrebuildSetupEnsured> Entries(ITestHarness harness) =>
        harness.Published.Select<OrgPrebuildSetupsEnsured>().SelectMany(m => m.Context.Message.Organizations).ToList();

    private static EnsureOrgPrebuildSetup Command(Guid org, Guid user, Guid reconciliationId) => new()
    {
        OrganizationId = org,
        OrganizationName = "harness",
        UserId = user,
        GroupName = "coderprebuiltworkspaces",
        HasPrebuildUser = false,
        PrebuildsGroupId = null,
        HasPrebuildUserInGroup = false,
        ReconciliationId = reconciliationId,
    };
}
