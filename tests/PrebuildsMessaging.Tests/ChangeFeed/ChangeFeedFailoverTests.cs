using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Tests.Infrastructure;

namespace PrebuildsMessaging.Tests.ChangeFeed;

/// <summary>
/// A real failover: a primary and its streaming physical standby on loopback (compose/native/postgres-standby.sh), the
/// worker given both hosts with Target Session Attributes=primary, the primary stopped as a crash would stop it, and
/// the standby promoted. The feed finds the new primary, snapshots and streams there, without a restart.
/// </summary>
// Timing: bound by a primary stopped and a standby promoted.
[Trait("Category", "Timing")]
public sealed class ChangeFeedFailoverTests(RabbitMqBroker broker) : IClassFixture<RabbitMqBroker>
{
    private const string Options = "-c wal_level=logical -c max_replication_slots=8 -c max_wal_senders=8";

    [Fact]
    public async Task After_the_primary_fails_and_the_standby_is_promoted_a_change_on_the_new_primary_converges_within_10_s()
    {
        var primaryState = Path.Combine(Path.GetTempPath(), $"prebuilds-pg-primary-{Guid.NewGuid():N}");
        var standbyState = Path.Combine(Path.GetTempPath(), $"prebuilds-pg-standby-{Guid.NewGuid():N}");
        var primaryPort = LoopbackPort.Free();
        var standbyPort = LoopbackPort.Free();
        try
        {
            await ScriptAsync($"pg_native_start '{primaryState}' {primaryPort} fast");
            var primary = Direct(primaryPort);
            var migrate = await CliRun.ExecuteAsync(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = primary }, "migrate", "--with-dev-schema", "--with-change-feed");
            Assert.True(migrate.ExitCode == 0, migrate.StandardError);
            await ScriptAsync($"pg_native_standby_start {primaryPort} '{standbyState}' {standbyPort} fast");

            await using var isolated = await IsolatedBroker.CreateAsync(broker);
            var bothHosts = $"Host=127.0.0.1:{primaryPort},127.0.0.1:{standbyPort};Username=postgres;Database=postgres;Target Session Attributes=primary";
            await using var worker = await WorkerProcess.StartAsync(bothHosts, isolated.AmqpUri, new Dictionary<string, string?>
            {
                ["ChangeFeed:Enabled"] = "true",
                ["ChangeFeed:RetryInterval"] = "00:00:01",
            });

            await using (var onPrimary = NpgsqlDataSource.Create(primary))
            {
                var seed = new CoderSeed(onPrimary);
                var org = await seed.OrganizationAsync();
                await seed.TemplatesAsync(org); // a preset that asks for prebuilds
                await Eventually.TrueAsync(() => seed.ConvergedAsync(org, PrebuildsUserId), () => $"converged through the feed on the primary\n{worker.Output}", TimeSpan.FromSeconds(5));
            }

            await ScriptAsync($"pg_native_stop '{primaryState}' immediate");
            await ScriptAsync($"pg_native_promote '{standbyState}'");

            await using var onNewPrimary = NpgsqlDataSource.Create(Direct(standbyPort));
            var newSeed = new CoderSeed(onNewPrimary);
            var changed = await newSeed.OrganizationAsync();
            await newSeed.TemplatesAsync(changed);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Eventually.TrueAsync(() => newSeed.ConvergedAsync(changed, PrebuildsUserId), () => $"converged on the new primary within 10 s\n{worker.Output}", TimeSpan.FromSeconds(10));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
            Assert.False(worker.HasExited);
            Assert.Contains($"on 127.0.0.1:{standbyPort}, after requesting a reconciliation of every organization (snapshot)", worker.Output, StringComparison.Ordinal);
        }
        finally
        {
            await ScriptAsync($"pg_native_stop '{standbyState}' immediate");
            await ScriptAsync($"pg_native_stop '{primaryState}' immediate");
            DeleteQuietly(primaryState);
            DeleteQuietly(standbyState);
        }
    }

    private static Guid PrebuildsUserId => PrebuildsOptions.CoderPrebuildsUserId;

    private static string Direct(int port) => $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";

    private static Task ScriptAsync(string command) =>
        Shell.ScriptAsync("postgres-standby.sh", command, new Dictionary<string, string?> { ["PG_EXTRA_OPTS"] = Options });

    private static void DeleteQuietly(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
