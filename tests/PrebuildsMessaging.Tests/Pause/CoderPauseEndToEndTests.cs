using System.Text.Json;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.Pause;

/// <summary>Coder's pause end to end, from every source at once; beside <see cref="CoderPauseTests"/>, so that the two run in parallel.</summary>
public sealed class CoderPauseEndToEndTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public async Task While_Coder_has_paused_nothing_is_written_from_any_source_and_after_the_resume_everything_converges()
    {
        await using var db = await server.CreateDatabaseAsync();
        Assert.Equal(0, (await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = db.ConnectionString }, "migrate", "--with-change-feed")).ExitCode);
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var worker = await WorkerProcess.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
        {
            ["ChangeFeed:Enabled"] = "true",
            ["ChangeFeed:SlotName"] = $"prebuilds_test_{Guid.NewGuid():N}",
            ["Schedule:Interval"] = "00:00:02",
        });
        await Eventually.TrueAsync(() => Task.FromResult(worker.Output.Contains("(snapshot)", StringComparison.Ordinal)), () => $"the feed streams\n{worker.Output}");
        await using var requests = await ExchangeRecorder.StartAsync(isolated.AmqpUri, "PrebuildsMessaging.Contracts:ReconcileRequested", declare: true);
        await using var completions = await ExchangeRecorder.StartAsync(isolated.AmqpUri, "PrebuildsMessaging.Contracts:ReconciliationCompleted", declare: true);
        await using var ensured = await ExchangeRecorder.StartAsync(isolated.AmqpUri, "PrebuildsMessaging.Contracts:OrgPrebuildSetupsEnsured", declare: true);

        // Coder's upsert, the insert path, with the worker streaming from the feed: it succeeds.
        Assert.Equal(1, await CoderPauseTests.PauseAsync(db, CoderPauseTests.Paused));
        var viaFeed = await db.Seed.OrganizationWithPrebuildsAsync(); // the change feed sees its preset
        var viaEvent = await db.Seed.OrganizationWithPrebuildsAsync();
        var viaManual = await db.Seed.OrganizationWithPrebuildsAsync();
        var viaReplay = await db.Seed.OrganizationWithPrebuildsAsync();
        await TestPublisher.PresetsChangedAsync(isolated.AmqpUri, [viaEvent]);
        await TestPublisher.EnsureCommandsAsync(isolated.AmqpUri, [viaReplay], db.PrebuildsUserId); // as `replay` puts one back
        var manual = await CliRun.ExecuteAsync(isolated.CliEnvironment(db), "reconcile", "--org", viaManual.ToString(), "--wait", "--timeout", "30s");

        Assert.Equal(3, manual.ExitCode);
        Assert.Contains("paused by Coder", manual.StandardError, StringComparison.Ordinal);
        foreach (var source in new[] { "schedule", "presets-changed", "change-feed", "manual" })
        {
            await Eventually.TrueAsync(() => Task.FromResult(CoderPauseTests.AnsweredWhilePaused(requests, completions, source)),
                () => $"a {source} request is answered while paused\n{worker.Output}");
        }

        await Eventually.TrueAsync(() => Task.FromResult(ensured.Messages.SelectMany(m => m.GetProperty("organizations").EnumerateArray())
                .Any(e => e.GetProperty("organizationId").GetGuid() == viaReplay && e.GetProperty("outcome").GetString() == "paused")),
            () => $"the replayed command is answered paused\n{worker.Output}");
        Guid[] organizations = [viaFeed, viaEvent, viaManual, viaReplay];
        foreach (var org in organizations)
        {
            Assert.False(await db.Seed.HasMembershipAsync(org, db.PrebuildsUserId));
            Assert.Equal(0, await db.Seed.GroupCountAsync(org));
        }

        foreach (var queue in new[] { "prebuilds-ensure-org-setup_error", "prebuilds-reconcile_error", "prebuilds-presets-changed_error" })
        {
            Assert.Equal(0, await isolated.MessageCountAsync(queue));
        }

        // Coder's upsert, the update path, succeeds too; the worker catches up by itself.
        Assert.Equal(1, await CoderPauseTests.PauseAsync(db, CoderPauseTests.Resumed));

        foreach (var org in organizations)
        {
            await Eventually.TrueAsync(() => db.Seed.ConvergedAsync(org, db.PrebuildsUserId), () => $"organization {org} converges after the resume\n{worker.Output}", TimeSpan.FromSeconds(5));
        }

        // The catch-up is the worker's own request (the schedule fires every 2 s here, so convergence alone proves little).
        Assert.Contains(requests.Messages, r => r.GetProperty("source").GetString() == "resumed" && r.GetProperty("organizationIds").GetArrayLength() == 0);
        Assert.Single(CoderPauseTests.Lines(worker.Output, "Coder has paused prebuilds reconciliation (coder prebuilds pause)")); // once, not once per pass
        Assert.Single(CoderPauseTests.Lines(worker.Output, "Coder resumed prebuilds reconciliation"));
    }
}
