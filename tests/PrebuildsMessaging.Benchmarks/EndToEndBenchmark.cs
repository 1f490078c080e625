using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Core.Reconciliation;
using PrebuildsMessaging.ErrorQueues;
using PrebuildsMessaging.Worker.Messaging;
using PrebuildsMessaging.Worker.Schedule;
using RabbitMQ.Client;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// The worker against the loop it replaces, on one database in one run. Seeds N unconfigured organizations,
/// runs the real worker as a process and times one manual reconcile until the last group membership exists,
/// then takes the setup away and times Coder's sequential loop (the status query, then each missing row as
/// its own autocommit INSERT on one connection). Then, on the converged database, the statements of a
/// converged pass and the status queries of a burst of change events. Prints figures; asserts nothing.
/// </summary>
internal static class EndToEndBenchmark
{
    private const string StatusQueryMarker = "OrganizationsWithPrebuildStatus :many";

    public static async Task RunAsync(EndToEndSettings settings)
    {
        var prebuilds = new PrebuildsOptions();
        var connectionString = await CreateDatabaseAsync(settings);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var admin = NpgsqlDataSource.Create(settings.AdminConnectionString);
        var statements = await StatementStatistics.TryCreateAsync(admin, settings.Database);

        var vhost = $"prebuilds-e2e-{Guid.NewGuid():N}";
        using var management = new RabbitMqManagementClient(RabbitMqConnection.Parse(settings.RabbitMqUri), settings.ManagementUrl);
        await management.CreateVirtualHostAsync(vhost, CancellationToken.None);
        var amqpUri = new UriBuilder(settings.RabbitMqUri) { Path = "/" + vhost }.Uri.ToString();
        var logPath = Path.Combine(Path.GetTempPath(), $"prebuilds-e2e-worker-{DateTime.UtcNow:yyyyMMddHHmmss}.log");
        try
        {
            Console.WriteLine($"Worker: real process, default settings, log at Information in {logPath}");
            await using var worker = await BenchmarkWorker.StartAsync(connectionString, amqpUri, logPath);

            // 1. Rounds: the worker (one manual reconcile until every organization has its group membership), then
            //    the loop, each from the same unconfigured organizations. Medians over the rounds.
            var rounds = new List<Round>();
            for (var round = 1; round <= settings.Rounds; round++)
            {
                if (round > 1)
                {
                    await ResetAsync(dataSource, prebuilds);
                }

                var cpuBefore = worker.CpuTime;
                var brokerCpuBefore = ProcessCpu.Of("beam.smp");
                var databaseCpuBefore = ProcessCpu.Of("postgres");
                var clock = Stopwatch.StartNew();
                await PublishAsync(amqpUri, "PrebuildsMessaging.Contracts:ReconcileRequested", [new { requestId = Guid.NewGuid(), organizationIds = Array.Empty<Guid>(), source = "manual", requestedAt = DateTimeOffset.UtcNow }]);
                await WaitForGroupMembersAsync(dataSource, settings.Organizations, settings.Timeout, $"round {round}, worker");
                var workerSeconds = clock.Elapsed.TotalSeconds;
                var workerCpu = worker.CpuTime - cpuBefore;
                var brokerCpu = ProcessCpu.Of("beam.smp") - brokerCpuBefore;
                var databaseCpu = ProcessCpu.Of("postgres") - databaseCpuBefore;

                double? loopSeconds = null;
                if (!settings.SkipLoop)
                {
                    await ResetAsync(dataSource, prebuilds);
                    loopSeconds = await SequentialLoop.RunAsync(dataSource, prebuilds, settings.Organizations, $"round {round}, loop");
                }

                var result = new Round(workerSeconds, workerCpu, brokerCpu, databaseCpu, loopSeconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round}: worker {settings.Organizations / workerSeconds:F0}/s, loop {(loopSeconds is { } l ? (settings.Organizations / l).ToString("F0", CultureInfo.InvariantCulture) : "-")}/s, ratio {(loopSeconds is { } l2 ? (l2 / workerSeconds).ToString("F2", CultureInfo.InvariantCulture) : "-")}"));
                rounds.Add(result);
            }

            // 2. A converged pass: its statements, Quartz's own bookkeeping left out.
            var before = worker.Reconciliations;
            await statements.ResetAsync();
            await PublishAsync(amqpUri, "PrebuildsMessaging.Contracts:ReconcileRequested", [new { requestId = Guid.NewGuid(), organizationIds = Array.Empty<Guid>(), source = "manual", requestedAt = DateTimeOffset.UtcNow }]);
            await WaitUntilAsync(() => Task.FromResult(worker.Reconciliations > before), settings.Timeout, "the converged pass");
            var convergedPass = await statements.CountAsync();
            foreach (var (calls, text) in await statements.ListAsync())
            {
                Console.WriteLine($"  converged pass ran {calls}× {text}");
            }

            // 3. A burst of change events over a few organizations that lost their group membership.
            List<Guid> burstOrganizations;
            await using (var connection = await dataSource.OpenConnectionAsync())
            {
                burstOrganizations = (await connection.QueryAsync<Guid>("SELECT id FROM organizations WHERE name LIKE 'e2e-org-%' ORDER BY name LIMIT @n",
                    new { n = settings.BurstOrganizations })).ToList();
            }

            await ExecuteAsync(dataSource, "DELETE FROM group_members WHERE user_id = @UserId AND group_id IN (SELECT id FROM groups WHERE organization_id = ANY (@Ids))",
                new { prebuilds.UserId, Ids = burstOrganizations.ToArray() });
            var answeredBefore = worker.RequestsAnswered;
            await statements.ResetAsync();
            await PublishAsync(amqpUri, "PrebuildsMessaging.Contracts:PresetsChanged", Enumerable.Range(0, settings.BurstEvents).Select(i => (object)new
            {
                organizationId = burstOrganizations[i % burstOrganizations.Count],
                templateId = Guid.NewGuid(),
                templateVersionId = Guid.NewGuid(),
                occurredAt = DateTimeOffset.UtcNow,
            }));
            await WaitForGroupMembersAsync(dataSource, settings.Organizations, settings.Timeout, "burst");
            await WaitUntilAsync(() => Task.FromResult(worker.RequestsAnswered - answeredBefore >= settings.BurstEvents), settings.Timeout, "every burst request answered");
            var burstQueries = await statements.CountAsync(StatusQueryMarker);

            // 4. At idle: the converged worker at its defaults, no events, for --idle-seconds: every statement on the
            //    database (Quartz's clustered store included) and the WAL written meanwhile.
            Idle? idle = null;
            if (settings.Idle > TimeSpan.Zero)
            {
                Console.WriteLine($"  idle: measuring {settings.Idle.TotalSeconds:F0} s with no events");
                await statements.ResetAsync();
                var walBefore = await ScalarAsync<string>(dataSource, "SELECT pg_current_wal_lsn()::text");
                var clock = Stopwatch.StartNew();
                await Task.Delay(settings.Idle); // an idle period is measured over time itself: there is nothing else to wait on

                var wal = await ScalarAsync<long>(dataSource, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @walBefore::pg_lsn)::bigint", new { walBefore });
                idle = await statements.IdleAsync(clock.Elapsed, wal);
            }

            var peakRss = worker.PeakRssBytes;
            await worker.DisposeAsync();

            Report(settings, rounds, peakRss, convergedPass, burstQueries, idle);
        }
        finally
        {
            await management.DeleteVirtualHostAsync(vhost, CancellationToken.None);
        }
    }

    /// <summary>What an idle period cost the database: every statement, Quartz's among them, the scheduled passes' own, and the WAL.</summary>
    private sealed record Idle(TimeSpan Duration, long Statements, long Quartz, long Passes, long PassStatements, long WalBytes)
    {
        public double PerMinute(long value) => value / Duration.TotalMinutes;
    }

    private sealed record Round(double WorkerSeconds, TimeSpan WorkerCpu, TimeSpan BrokerCpu, TimeSpan DatabaseCpu, double? LoopSeconds);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void Report(EndToEndSettings settings, List<Round> rounds, long peakRss, long? convergedPass, long? burstQueries, Idle? idle)
    {
        var n = settings.Organizations;
        string Rate(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{n / seconds,8:F0} organizations/s ({seconds:F2} s)");
        var worker = Median(rounds.Select(r => r.WorkerSeconds));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"End to end, {n:N0} unconfigured organizations, one reconcile to the last group membership (median of {rounds.Count} rounds):"));
        Console.WriteLine($"  worker (real process)          {Rate(worker)}");
        if (!settings.SkipLoop)
        {
            var loop = Median(rounds.Select(r => r.LoopSeconds!.Value));
            Console.WriteLine($"  sequential loop                {Rate(loop)}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  ratio worker / loop            {Median(rounds.Select(r => r.LoopSeconds!.Value / r.WorkerSeconds)),8:F2}x (per round: {string.Join(", ", rounds.Select(r => (r.LoopSeconds!.Value / r.WorkerSeconds).ToString("F2", CultureInfo.InvariantCulture)))})"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  worker CPU per organization    {Median(rounds.Select(r => r.WorkerCpu.TotalMilliseconds)) / n:F3} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  meanwhile, per organization    RabbitMQ {Median(rounds.Select(r => r.BrokerCpu.TotalMilliseconds)) / n:F3} ms CPU, PostgreSQL {Median(rounds.Select(r => r.DatabaseCpu.TotalMilliseconds)) / n:F3} ms CPU"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  worker peak RSS                {peakRss / (1024.0 * 1024):F0} MB"));
        Console.WriteLine($"  statements per converged pass  {(convergedPass?.ToString(CultureInfo.InvariantCulture) ?? "n/a (pg_stat_statements not loaded)")}");
        Console.WriteLine($"  status queries for a burst of {settings.BurstEvents:N0} change events over {settings.BurstOrganizations} organizations  {(burstQueries?.ToString(CultureInfo.InvariantCulture) ?? "n/a (pg_stat_statements not loaded)")}");
        if (idle is { } i)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  at idle, per minute ({i.Duration.TotalSeconds:F0} s)   {i.PerMinute(i.Statements - i.PassStatements):F1} statements besides the scheduled passes ({i.PerMinute(i.Quartz):F1} of them Quartz's), {i.PerMinute(i.WalBytes) / 1024:F1} KB of WAL; {i.Passes} scheduled passes ({i.PassStatements} statements)"));
        }
    }

    private static async Task<string> CreateDatabaseAsync(EndToEndSettings settings)
    {
        await using (var admin = new NpgsqlConnection(settings.AdminConnectionString))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {settings.Database} WITH (FORCE)");
            await admin.ExecuteAsync($"CREATE DATABASE {settings.Database}");
        }

        var connectionString = new NpgsqlConnectionStringBuilder(settings.AdminConnectionString) { Database = settings.Database }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(dataSource, Microsoft.Extensions.Options.Options.Create(new PostgresOptions { ConnectionString = connectionString }), [new QuartzSchema()], NullLogger<DatabaseMigrator>.Instance).MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);
        Console.WriteLine($"Seeding {settings.Organizations:N0} unconfigured organizations (one template, version and preset with prebuilds each) in {settings.Database}");
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await connection.ExecuteAsync(BenchmarkSql.Load("SeedUnconfiguredOrganizations"), new { settings.Organizations }, transaction, commandTimeout: 0);
            await transaction.CommitAsync();
            await connection.ExecuteAsync("VACUUM ANALYZE", commandTimeout: 0);
        }

        return connectionString;
    }

    private static async Task ResetAsync(NpgsqlDataSource dataSource, PrebuildsOptions prebuilds)
    {
        await ExecuteAsync(dataSource, BenchmarkSql.Load("ResetPrebuildsSetup"), new { prebuilds.UserId, prebuilds.GroupName });
        await ExecuteAsync(dataSource, "VACUUM ANALYZE organization_members", null);
        await ExecuteAsync(dataSource, "VACUUM ANALYZE groups", null);
        await ExecuteAsync(dataSource, "VACUUM ANALYZE group_members", null);
    }

    private static async Task WaitForGroupMembersAsync(NpgsqlDataSource dataSource, int expected, TimeSpan timeout, string what)
    {
        var lastReported = -1;
        await WaitUntilAsync(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var done = await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM group_members");
            var decile = done * 10 / expected;
            if (decile != lastReported)
            {
                Console.WriteLine($"  {what}: {done:N0}/{expected:N0} organizations converged");
                lastReported = decile;
            }

            return done >= expected;
        }, timeout, what);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }

    private static async Task PublishAsync(string amqpUri, string exchange, IEnumerable<object> messages)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        foreach (var message in messages)
        {
            var properties = new BasicProperties { ContentType = "application/json", MessageId = Guid.NewGuid().ToString(), DeliveryMode = DeliveryModes.Persistent };
            await channel.BasicPublishAsync(exchange, "", false, properties, JsonSerializer.SerializeToUtf8Bytes(message));
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, object? parameters = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException($"no value: {sql}");
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, object? parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters, commandTimeout: 0);
    }


    /// <summary>Coder's loop: one status query, then each missing row as its own autocommit INSERT, on one connection.</summary>
    private static class SequentialLoop
    {
        public static async Task<double> RunAsync(NpgsqlDataSource dataSource, PrebuildsOptions prebuilds, int organizations, string what)
        {
            var clock = Stopwatch.StartNew();
            await using var connection = await dataSource.OpenConnectionAsync();
            var statuses = (await new StatusQuery(dataSource, Microsoft.Extensions.Options.Options.Create(prebuilds), NullLogger<StatusQuery>.Instance).ReadAsync(ReconciliationScope.All, CancellationToken.None)).Organizations
                .Select(s => (s.OrganizationId, HasUser: s.HasPrebuildUser, GroupId: s.PrebuildsGroupId, InGroup: s.HasPrebuildUserInGroup)).ToList();
            var done = 0;
            foreach (var status in statuses)
            {
                var now = DateTimeOffset.UtcNow;
                if (!status.HasUser)
                {
                    await connection.ExecuteAsync(BenchmarkSql.Load("CoderLoopInsertOrganizationMember"), new { status.OrganizationId, prebuilds.UserId, CreatedAt = now, UpdatedAt = now });
                }

                var groupId = status.GroupId;
                if (groupId is null)
                {
                    groupId = Guid.NewGuid();
                    await connection.ExecuteAsync(BenchmarkSql.Load("CoderLoopInsertGroup"), new { Id = groupId, Name = prebuilds.GroupName, DisplayName = prebuilds.GroupDisplayName, status.OrganizationId });
                }

                if (!status.InGroup)
                {
                    await connection.ExecuteAsync(BenchmarkSql.Load("CoderLoopInsertGroupMember"), new { prebuilds.UserId, GroupId = groupId });
                }

                if (++done % Math.Max(1, organizations / 10) == 0)
                {
                    Console.WriteLine($"  {what}: {done:N0}/{organizations:N0} organizations converged");
                }
            }

            return clock.Elapsed.TotalSeconds;
        }
    }

    /// <summary>pg_stat_statements for the benchmark database, when the server loads it.</summary>
    private sealed class StatementStatistics(NpgsqlDataSource? admin, string database)
    {
        public static async Task<StatementStatistics> TryCreateAsync(NpgsqlDataSource admin, string database)
        {
            try
            {
                await using var connection = await admin.OpenConnectionAsync();
                await connection.ExecuteAsync("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_statements");
                return new StatementStatistics(admin, database);
            }
            catch (PostgresException ex)
            {
                Console.WriteLine($"pg_stat_statements is not available ({ex.MessageText}); statement counts will be n/a.");
                return new StatementStatistics(null, database);
            }
        }

        public async Task ResetAsync()
        {
            if (admin is not null)
            {
                await using var connection = await admin.OpenConnectionAsync();
                await connection.ExecuteAsync("SELECT pg_stat_statements_reset()");
            }
        }

        /// <summary>
        /// Every statement on the benchmark database since the reset (BEGIN and COMMIT included), Quartz's, and the
        /// scheduled passes: their status queries, each with the ensure statements it led to (none when converged).
        /// </summary>
        public async Task<Idle?> IdleAsync(TimeSpan duration, long walBytes)
        {
            if (admin is null)
            {
                return null;
            }

            await using var connection = await admin.OpenConnectionAsync();
            var (all, quartz, passes) = await connection.QuerySingleAsync<(long, long, long)>(
                """
                SELECT coalesce(sum(s.calls), 0)::bigint,
                       coalesce(sum(s.calls) FILTER (WHERE s.query ILIKE '%qrtz%'), 0)::bigint,
                       coalesce(sum(s.calls) FILTER (WHERE s.query LIKE '%OrganizationsWithPrebuildStatus :many%'), 0)::bigint
                FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = @database
                """, new { database });
            return new Idle(duration, all, quartz, passes, passes, walBytes);
        }

        /// <summary>What <see cref="CountAsync"/> counts, statement by statement (the first 100 characters of each).</summary>
        public async Task<IReadOnlyList<(long Calls, string Text)>> ListAsync()
        {
            if (admin is null)
            {
                return [];
            }

            await using var connection = await admin.OpenConnectionAsync();
            return (await connection.QueryAsync<(long, string)>(
                $"SELECT s.calls, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 100) {Filter} ORDER BY s.calls DESC", new { database, containing = (string?)null })).ToList();
        }

        private const string Filter =
            """
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = @database
              AND s.query NOT ILIKE '%qrtz%'
              -- Quartz's transactions around its own statements (the service runs none): BEGIN, COMMIT, ROLLBACK.
              AND s.query !~* '^\s*(BEGIN|COMMIT|ROLLBACK)'
              AND s.query NOT ILIKE '%count(*)::int FROM group_members%'
              AND s.query NOT ILIKE '%DELETE FROM group_members%'
              AND (@containing::text IS NULL OR strpos(s.query, @containing) > 0)
            """;

        /// <summary>Statements run in the benchmark database since the reset, less Quartz's and the benchmark's own.</summary>
        public async Task<long?> CountAsync(string? containing = null)
        {
            if (admin is null)
            {
                return null;
            }

            await using var connection = await admin.OpenConnectionAsync();
            return await connection.ExecuteScalarAsync<long>($"SELECT coalesce(sum(s.calls), 0)::bigint {Filter}", new { database, containing });
        }
    }
}
