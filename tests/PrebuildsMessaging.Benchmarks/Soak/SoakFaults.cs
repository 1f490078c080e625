using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>A fault as it happened: what was planned, what it hit, when it started and when it healed.</summary>
internal sealed class FaultRecord(PlannedFault planned)
{
    public PlannedFault Planned { get; } = planned;

    public string Target { get; set; } = "";

    public TimeSpan Started { get; set; }

    public TimeSpan? Healed { get; set; }

    /// <summary>From the healing to the moment every organization unconverged at the healing had converged.</summary>
    public TimeSpan? ConvergedAfter { get; set; }

    public HashSet<Guid>? UnconvergedAtHeal { get; set; }

    public string? Error { get; set; }
}

/// <summary>Runs the fault schedule against the real processes: workers, RabbitMQ's nodes, PostgreSQL and its walsender.</summary>
internal sealed partial class SoakFaults(SoakSettings settings, SoakWorkers workers, NpgsqlDataSource admin, Stopwatch clock) : IDisposable
{
    private readonly List<FaultRecord> records = [];
    private readonly SemaphoreSlim broker = new(1, 1);
    private readonly Lock gate = new();
    private int active;

    public IReadOnlyList<FaultRecord> Records
    {
        get
        {
            lock (gate)
            {
                return records.ToList();
            }
        }
    }

    /// <summary>Whether some fault has started and not healed.</summary>
    public bool AnyActive => Volatile.Read(ref active) > 0;

    /// <summary>When the latest fault to heal healed (zero before any).</summary>
    public TimeSpan LastHealed
    {
        get
        {
            lock (gate)
            {
                return records.Where(r => r.Healed is not null).Select(r => r.Healed!.Value).DefaultIfEmpty(TimeSpan.Zero).Max();
            }
        }
    }

    /// <summary>Each fault at its time, until the schedule ends or <paramref name="cancellationToken"/> (the soak's end) fires; every fault started is healed.</summary>
    public async Task RunAsync(IReadOnlyList<PlannedFault> plan, CancellationToken cancellationToken)
    {
        var running = new List<Task>();
        foreach (var fault in plan)
        {
            var wait = fault.At - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            running.Add(InjectAsync(fault, cancellationToken));
        }

        await Task.WhenAll(running);
    }

    private async Task InjectAsync(PlannedFault fault, CancellationToken cancellationToken)
    {
        var record = new FaultRecord(fault) { Started = clock.Elapsed };
        lock (gate)
        {
            records.Add(record);
        }

        Interlocked.Increment(ref active);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {clock.Elapsed:mm\\:ss} fault: {fault}"));
        try
        {
            switch (fault.Kind)
            {
                case FaultKind.KillWorker:
                    record.Target = $"worker {fault.Worker + 1} (pid {workers.Pid(fault.Worker)})";
                    await workers.KillAsync(fault.Worker, fault.Lasts, CancellationToken.None); // at most 6 s, even at the end
                    break;
                case FaultKind.PauseWorker:
                    record.Target = $"worker {fault.Worker + 1} (pid {workers.Pid(fault.Worker)})";
                    workers.Pause(fault.Worker);
                    await DelayAsync(fault.Lasts, cancellationToken);
                    workers.Resume(fault.Worker);
                    break;
                case FaultKind.StopBrokerNode:
                    await broker.WaitAsync(CancellationToken.None); // one node down at a time: the quorum queues keep their majority
                    try
                    {
                        var node = await NodeOfAsync(fault.Worker);
                        record.Target = $"node {node + 1} (port {settings.AmqpPorts[node]}), worker {fault.Worker + 1}'s";
                        await ShellAsync("source \"$REPO/compose/native/rabbitmq-cluster.sh\" && rabbit_cluster_node_stop_app \"$STATE\" " + (node + 1), settings.RabbitMqState);
                        await DelayAsync(fault.Lasts, cancellationToken);
                        await ShellAsync("source \"$REPO/compose/native/rabbitmq-cluster.sh\" && rabbit_cluster_node_start_app \"$STATE\" " + (node + 1), settings.RabbitMqState);
                    }
                    finally
                    {
                        broker.Release();
                    }

                    break;
                case FaultKind.RestartPostgresFast or FaultKind.RestartPostgresImmediate:
                    var mode = fault.Kind == FaultKind.RestartPostgresFast ? "fast" : "immediate";
                    record.Target = "PostgreSQL";
                    await ShellAsync(
                        "source \"$REPO/compose/native/postgres.sh\" && d=$(pg_native_datadir \"$STATE\") && " +
                        $"pg_native_as_owner \"$(pg_native_bindir)/pg_ctl\" -D \"$d/data\" -l \"$d/server.log\" -m {mode} -w -t 120 restart >/dev/null",
                        settings.PostgresState);
                    NpgsqlConnection.ClearAllPools();
                    break;
                case FaultKind.TerminateWalsender:
                    await using (var connection = await admin.OpenConnectionAsync(CancellationToken.None))
                    {
                        var pid = await connection.ExecuteScalarAsync<int?>(
                            "SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'prebuilds_messaging' AND active_pid IS NOT NULL");
                        record.Target = pid is null ? "no walsender was streaming" : $"walsender pid {pid}";
                        if (pid is not null)
                        {
                            await connection.ExecuteAsync("SELECT pg_terminate_backend(@pid)", new { pid });
                        }
                    }

                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            record.Error = ex.Message;
            Console.WriteLine($"  fault failed: {fault}: {ex.Message}");
        }
        finally
        {
            record.Healed = clock.Elapsed;
            Interlocked.Decrement(ref active);
        }
    }

    /// <summary>Waits, or less when the soak ends: the end heals every fault at once.</summary>
    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The RabbitMQ node the worker's process holds a connection to (from <c>ss</c>), or node 1 when it holds none.</summary>
    private async Task<int> NodeOfAsync(int worker)
    {
        if (workers.Pid(worker) is not { } pid)
        {
            return 0;
        }

        var output = await ShellAsync("ss -tnpH state established", settings.RabbitMqState);
        var counts = new int[settings.AmqpPorts.Count];
        foreach (var line in output.Split('\n'))
        {
            var match = SocketLine().Match(line);
            if (match.Success && int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture) == pid)
            {
                var index = settings.AmqpPorts.ToList().IndexOf(int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
                if (index >= 0)
                {
                    counts[index]++;
                }
            }
        }

        return counts.Max() == 0 ? 0 : Array.IndexOf(counts, counts.Max());
    }

    private async Task<string> ShellAsync(string script, string state)
    {
        var info = new ProcessStartInfo("bash", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["REPO"] = settings.Repository;
        info.Environment["STATE"] = state;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start bash");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"'{script}' exited {process.ExitCode}: {(await errors).Trim()}");
    }

    public void Dispose() => broker.Dispose();

    // "0  0  127.0.0.1:41234  127.0.0.1:5691  users:(("dotnet",pid=1234,fd=99))"
    [GeneratedRegex(@"127\.0\.0\.1:\d+\s+127\.0\.0\.1:(?<port>\d+)\s+users:\(\(""[^""]*"",pid=(?<pid>\d+)")]
    private static partial Regex SocketLine();
}
