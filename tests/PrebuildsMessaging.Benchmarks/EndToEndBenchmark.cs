using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// The worker against the loop it replaces, and what an operator feels, in one run on one server. In order:
/// <list type="number">
/// <item>cold convergence of N unconfigured organizations (a worker started just before one <c>reconcile</c> process)
/// against Coder's loop driven by psql and by C#, in rounds; the worker's CPU and peak RSS;</item>
/// <item>the statements of a converged pass, and the status queries of a burst of change events;</item>
/// <item>the same cold convergence at a larger N, against the psql loop;</item>
/// <item>the latency of one change through the change feed on 1,000,000 presets, one at a time and in a steady stream;</item>
/// <item>the idle cost of one worker, then of three, between two scheduled passes.</item>
/// </list>
/// Prints figures; asserts nothing.
/// </summary>
internal static class EndToEndBenchmark
{
    private const string StatusQueryMarker = "OrganizationsWithPrebuildStatus :many";

    public static async Task RunAsync(EndToEndSettings settings)
    {
        await using var admin = NpgsqlDataSource.Create(settings.AdminConnectionString);
        var statements = await StatementStatistics.TryCreateAsync(admin, settings.Database);
        var vhost = $"prebuilds-e2e-{Guid.NewGuid():N}";
        using var management = new RabbitMqManagementClient(RabbitMqConnection.Parse(settings.RabbitMqUri), settings.ManagementUrl);
        await management.CreateVirtualHostAsync(vhost, CancellationToken.None);
        var amqpUri = new UriBuilder(settings.RabbitMqUri) { Path = "/" + vhost }.Uri.ToString();
        var idle = new List<IdleCost.Window>();
        try
        {
            Console.WriteLine($"Workers: real processes of {settings.App}, default settings, logs at Information in {Path.GetTempPath()}prebuilds-e2e-worker-*.log");

            // 1. Cold convergence at N, with both loops; a worker kept for what follows.
            var (rounds, worker) = await ColdRounds.RunAsync(settings, settings.Database, settings.Organizations, settings.Rounds, !settings.SkipLoop, amqpUri, keepLastWorker: true);
            await using (worker)
            {
                await using var dataSource = NpgsqlDataSource.Create(ColdRounds.ConnectionString(settings.AdminConnectionString, settings.Database));

                // 2. A converged pass: its statements, Quartz's own bookkeeping left out; then a burst of change events.
                var before = worker!.Reconciliations;
                await statements.ResetAsync();
                await PublishAsync(amqpUri, "PrebuildsMessaging.Contracts:ReconcileRequested", [new { requestId = Guid.NewGuid(), organizationIds = Array.Empty<Guid>(), source = "manual", requestedAt = DateTimeOffset.UtcNow }]);
                await Eventually.TrueAsync(() => Task.FromResult(worker.Reconciliations > before), settings.Timeout, "the converged pass");
                var convergedPass = await statements.CountAsync();
                foreach (var (calls, text) in await statements.ListAsync())
                {
                    Console.WriteLine($"  converged pass ran {calls}× {text}");
                }

                var (burstQueries, burstPublish) = await BurstAsync(settings, dataSource, statements, amqpUri);

                // 3. Cold convergence at a larger N, against the psql loop.
                List<ColdRounds.Round> large = [];
                if (settings.LargeOrganizations > 0)
                {
                    // On a virtual host of its own: the worker kept above consumes from the first one.
                    var largeVhost = vhost + "-large";
                    await management.CreateVirtualHostAsync(largeVhost, CancellationToken.None);
                    try
                    {
                        (large, _) = await ColdRounds.RunAsync(settings, settings.Database + "_large", settings.LargeOrganizations, 1, withCSharpLoop: false,
                            new UriBuilder(settings.RabbitMqUri) { Path = "/" + largeVhost }.Uri.ToString(), keepLastWorker: false);
                    }
                    finally
                    {
                        await management.DeleteVirtualHostAsync(largeVhost, CancellationToken.None);
                    }

                    await ColdRounds.DropDatabaseAsync(admin, settings.Database + "_large");
                }

                // 4. The change feed's latency, on a database of its own.
                FeedLatencyBenchmark.Result? feed = null;
                if (settings.FeedChanges > 0)
                {
                    feed = await FeedLatencyBenchmark.RunAsync(settings);
                    await ColdRounds.DropDatabaseAsync(admin, "prebuilds_feed");
                }

                // 5. At idle: the worker alone, then with two more replicas.
                if (settings.Idle > TimeSpan.Zero && statements.Available)
                {
                    var wait = TimeSpan.FromMinutes(6);
                    var interval = new PrebuildsMessaging.Worker.Schedule.ScheduleOptions().Interval;
                    idle.Add(await IdleCost.MeasureAsync(admin, dataSource, statements, 1, settings.Idle, interval, wait));
                    var connectionString = ColdRounds.ConnectionString(settings.AdminConnectionString, settings.Database);
                    await using var second = await BenchmarkWorker.StartAsync(settings.App, connectionString, amqpUri, Path.Combine(Path.GetTempPath(), "prebuilds-e2e-worker-replica-2.log"));
                    await using var third = await BenchmarkWorker.StartAsync(settings.App, connectionString, amqpUri, Path.Combine(Path.GetTempPath(), "prebuilds-e2e-worker-replica-3.log"));
                    idle.Add(await IdleCost.MeasureAsync(admin, dataSource, statements, 3, settings.Idle, interval, wait));
                }

                Report(settings, rounds, large, convergedPass, burstQueries, burstPublish, feed, idle);
            }
        }
        finally
        {
            await management.DeleteVirtualHostAsync(vhost, CancellationToken.None);
        }
    }

    /// <summary>A burst of change events over a few organizations that lost their group membership: its status queries.</summary>
    private static async Task<(long? Queries, TimeSpan Publish)> BurstAsync(EndToEndSettings settings, NpgsqlDataSource dataSource, StatementStatistics statements, string amqpUri)
    {
        var prebuilds = new PrebuildsOptions();
        List<Guid> organizations;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            organizations = (await connection.QueryAsync<Guid>("SELECT id FROM organizations WHERE name LIKE 'e2e-org-%' ORDER BY name LIMIT @n",
                new { n = settings.BurstOrganizations })).ToList();
            await connection.ExecuteAsync("DELETE FROM group_members WHERE user_id = @UserId AND group_id IN (SELECT id FROM groups WHERE organization_id = ANY (@Ids))",
                new { prebuilds.UserId, Ids = organizations.ToArray() });
        }

        await statements.ResetAsync();
        var clock = Stopwatch.StartNew();
        await PublishAsync(amqpUri, "PrebuildsMessaging.Contracts:PresetsChanged", Enumerable.Range(0, settings.BurstEvents).Select(i => (object)new
        {
            organizationId = organizations[i % organizations.Count],
            templateId = Guid.NewGuid(),
            templateVersionId = Guid.NewGuid(),
            occurredAt = DateTimeOffset.UtcNow,
        }));
        var published = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  burst: {settings.BurstEvents:N0} events published (and confirmed) in {published.TotalMilliseconds:F0} ms"));
        await ColdRounds.WaitForGroupMembersAsync(dataSource, settings.Organizations, settings.Timeout, "burst");
        // Every event consumed and acknowledged, and every request it led to answered.
        using (var vhostManagement = new RabbitMqManagementClient(RabbitMqConnection.Parse(amqpUri), settings.ManagementUrl))
        {
            await Eventually.TrueAsync(async () => await AllAcknowledgedAsync(vhostManagement, QueueNames.PresetsChanged, settings.BurstEvents) && await AllAcknowledgedAsync(vhostManagement, QueueNames.ReconcileRequested, 1),
                settings.Timeout, "every event and every request it led to acknowledged");
        }

        return (await statements.CountAsync(StatusQueryMarker), published);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void Report(EndToEndSettings settings, List<ColdRounds.Round> rounds, List<ColdRounds.Round> large, long? convergedPass, long? burstQueries,
        TimeSpan burstPublish, FeedLatencyBenchmark.Result? feed, List<IdleCost.Window> idle)
    {
        static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        string Rate(int n, double seconds) => F($"{n / seconds,8:F0} organizations/s ({seconds:F2} s)");
        string PerRound(IEnumerable<double> ratios) => string.Join(", ", ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)));
        var n = settings.Organizations;
        Console.WriteLine();
        Console.WriteLine(F($"Cold convergence, {n:N0} unconfigured organizations: a worker started just before one reconcile process, timed from that process's start to the last group membership (median of {rounds.Count} rounds):"));
        Console.WriteLine($"  worker (real process)          {Rate(n, Median(rounds.Select(r => r.WorkerSeconds)))}");
        Console.WriteLine($"  Coder's loop, psql             {Rate(n, Median(rounds.Select(r => r.PsqlSeconds)))}");
        Console.WriteLine(F($"  ratio worker / psql loop       {Median(rounds.Select(r => r.PsqlSeconds / r.WorkerSeconds)),8:F2}x (per round: {PerRound(rounds.Select(r => r.PsqlSeconds / r.WorkerSeconds))})"));
        if (!settings.SkipLoop)
        {
            Console.WriteLine($"  Coder's loop, C# (Dapper)      {Rate(n, Median(rounds.Select(r => r.LoopSeconds!.Value)))}");
            Console.WriteLine(F($"  ratio worker / C# loop         {Median(rounds.Select(r => r.LoopSeconds!.Value / r.WorkerSeconds)),8:F2}x (per round: {PerRound(rounds.Select(r => r.LoopSeconds!.Value / r.WorkerSeconds))})"));
        }

        Console.WriteLine(F($"  worker CPU per organization    {Median(rounds.Select(r => r.WorkerCpu.TotalMilliseconds)) / n:F3} ms"));
        Console.WriteLine(F($"  of it, in the JIT              {Median(rounds.Select(r => r.WorkerJitSeconds)):F2} s, in GC pauses {Median(rounds.Select(r => r.WorkerGcPauseSeconds)):F2} s (per round: {string.Join(", ", rounds.Select(r => F($"{r.WorkerJitSeconds:F2}/{r.WorkerGcPauseSeconds:F2}")))})"));
        Console.WriteLine(F($"  meanwhile, per organization    RabbitMQ {Median(rounds.Select(r => r.BrokerCpu.TotalMilliseconds)) / n:F3} ms CPU, PostgreSQL {Median(rounds.Select(r => r.DatabaseCpu.TotalMilliseconds)) / n:F3} ms CPU"));
        Console.WriteLine(F($"  worker peak RSS                {rounds.Max(r => r.WorkerPeakRss) / (1024.0 * 1024):F0} MB"));
        if (large.Count > 0)
        {
            var l = large[0];
            var size = settings.LargeOrganizations;
            Console.WriteLine(F($"Cold convergence, {size:N0} unconfigured organizations (one round):"));
            Console.WriteLine($"  worker (real process)          {Rate(size, l.WorkerSeconds)}");
            Console.WriteLine($"  Coder's loop, psql             {Rate(size, l.PsqlSeconds)}");
            Console.WriteLine(F($"  ratio worker / psql loop       {l.PsqlSeconds / l.WorkerSeconds,8:F2}x"));
            Console.WriteLine(F($"  worker CPU per organization    {l.WorkerCpu.TotalMilliseconds / size:F3} ms"));
            Console.WriteLine(F($"  of it, in the JIT              {l.WorkerJitSeconds:F2} s, in GC pauses {l.WorkerGcPauseSeconds:F2} s"));
            Console.WriteLine(F($"  worker peak RSS                {l.WorkerPeakRss / (1024.0 * 1024):F0} MB"));
        }

        Console.WriteLine($"Converged, {n:N0} organizations:");
        Console.WriteLine($"  statements per converged pass  {(convergedPass?.ToString(CultureInfo.InvariantCulture) ?? "n/a (pg_stat_statements not loaded)")}");
        Console.WriteLine(F($"  status queries for a burst of {settings.BurstEvents:N0} change events over {settings.BurstOrganizations} organizations (published in {burstPublish.TotalMilliseconds:F0} ms)  {(burstQueries?.ToString(CultureInfo.InvariantCulture) ?? "n/a (pg_stat_statements not loaded)")}"));
        if (feed is not null)
        {
            Console.WriteLine(F($"Change feed, commit to the last row, on {feed.Presets:N0} presets with the recommended index:"));
            Console.WriteLine(F($"  {feed.OneAtATime.Count} changes one at a time       {FeedLatencyBenchmark.Describe(feed.OneAtATime)}"));
            Console.WriteLine(F($"  {feed.Steady.Count} changes at {feed.SteadyRate:F0} a second  {FeedLatencyBenchmark.Describe(feed.Steady)}"));
        }

        foreach (var window in idle)
        {
            Console.WriteLine($"At idle, the scheduled passes aside: {window.Describe()}");
            Console.WriteLine("    in the window, the cut-out passes' statements included:");
            foreach (var (calls, text) in window.Detail.Take(12))
            {
                Console.WriteLine($"    {calls}× {text}");
            }
        }
    }

    private static async Task PublishAsync(string amqpUri, string exchange, IEnumerable<object> messages)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        // Up to 200 publishes in flight, their confirms awaited together: a burst arrives as a burst.
        foreach (var chunk in messages.Chunk(200))
        {
            await Task.WhenAll(chunk.Select(message =>
            {
                var properties = new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
                return channel.BasicPublishAsync(exchange, "", false, properties, JsonSerializer.SerializeToUtf8Bytes(message)).AsTask();
            }));
        }
    }

    /// <summary>
    /// None waits or is unacknowledged, at least this many were acknowledged, and as many as entered: the consumer has
    /// finished with all of them. The management API's statistics lag, but its counts only grow, so this never holds early.
    /// </summary>
    private static async Task<bool> AllAcknowledgedAsync(RabbitMqManagementClient management, string queue, long atLeast)
    {
        var json = await management.QueueAsync(queue, CancellationToken.None);
        long Stat(string name) => json.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(name, out var value) ? value.GetInt64() : 0;
        return json.TryGetProperty("messages", out var messages) && messages.GetInt64() == 0 && Stat("ack") >= atLeast && Stat("ack") >= Stat("publish");
    }
}
