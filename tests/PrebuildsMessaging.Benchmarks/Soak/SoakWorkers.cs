using System.Diagnostics;
using System.Globalization;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>
/// The soak's three workers (<c>PrebuildsMessaging run</c>, as shipped), kept running as a supervisor would: a worker
/// that exits on its own is logged and started again. Faults kill, pause and resume them through here. Each process's
/// resident set is sampled every 10 s for the memory check.
/// </summary>
internal sealed class SoakWorkers : IAsyncDisposable
{
    private readonly SoakSettings settings;
    private readonly string connectionString;
    private readonly Slot[] slots;
    private readonly CancellationTokenSource stopping = new();
    private readonly Stopwatch clock;
    private Task? supervision;

    public SoakWorkers(SoakSettings settings, string connectionString, Stopwatch clock)
    {
        this.settings = settings;
        this.connectionString = connectionString;
        this.clock = clock;
        slots = Enumerable.Range(0, SoakSettings.Workers).Select(i => new Slot(i)).ToArray();
    }

    /// <summary>Each process a worker ran as: when it started and ended, its exit, and its resident set over time.</summary>
    public sealed class Lifetime(int worker, int pid, TimeSpan started, int metricsPort)
    {
        public int MetricsPort { get; } = metricsPort;

        public int Worker { get; } = worker;

        public int Pid { get; } = pid;

        public TimeSpan Started { get; } = started;

        public TimeSpan? Ended { get; set; }

        public string? Exit { get; set; }

        public List<(TimeSpan At, long Bytes)> Rss { get; } = [];

        /// <summary>The GC heap after the last collection (all generations), from the worker's /metrics.</summary>
        public List<(TimeSpan At, long Bytes)> GcHeap { get; } = [];
    }

    public IReadOnlyList<Lifetime> Lifetimes => slots.SelectMany(s => s.Lifetimes).OrderBy(l => l.Started).ToList();

    /// <summary>Exits the soak did not cause (a crash, a refusal to start), with the exit code and the log's last line.</summary>
    public List<string> UnexpectedExits { get; } = [];

    public async Task StartAsync()
    {
        foreach (var slot in slots)
        {
            Launch(slot);
        }

        supervision = SuperviseAsync(stopping.Token);
        // Every worker up: each has logged that the application started.
        var deadline = Stopwatch.StartNew();
        while (!slots.All(s => s.Started))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                throw new InvalidOperationException($"The workers did not all start within 90 s; see {settings.OutputDirectory}.");
            }

            await Task.Delay(100);
        }
    }

    public int? Pid(int worker) => slots[worker].Process is { HasExited: false } p ? p.Id : null;

    /// <summary>SIGKILL: the process dies at once, with whatever it held; started again after <paramref name="down"/>.</summary>
    public async Task KillAsync(int worker, TimeSpan down, CancellationToken cancellationToken)
    {
        var slot = slots[worker];
        slot.Expected = true;
        Signal(slot, "KILL");
        await Task.Delay(down, cancellationToken);
        lock (slot)
        {
            slot.Expected = false;
            if (slot.Process is null || slot.Process.HasExited)
            {
                Launch(slot);
            }
        }
    }

    public void Pause(int worker) => Signal(slots[worker], "STOP");

    public void Resume(int worker) => Signal(slots[worker], "CONT");

    private static void Signal(Slot slot, string signal)
    {
        var process = slot.Process;
        if (process is null || process.HasExited)
        {
            return;
        }

        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private void Launch(Slot slot)
    {
        var index = slot.Index;
        var logPath = Path.Combine(settings.OutputDirectory, $"worker-{index + 1}.log");
        var info = new ProcessStartInfo(Path.Combine(settings.App, "PrebuildsMessaging"), ["run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["ConnectionStrings__RabbitMq"] = settings.AmqpUri(index);
        info.Environment["RabbitMq__ClusterNodes"] = settings.ClusterNodes;
        info.Environment["RabbitMq__ManagementUrl"] = settings.ManagementUrls;
        info.Environment["Bus__QuorumQueues"] = "true";
        info.Environment["ChangeFeed__Enabled"] = "true";
        var metricsPort = BenchmarkWorker.FreePort();
        info.Environment["Health__Urls"] = $"http://127.0.0.1:{metricsPort}";
        info.Environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ";
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        var lastLine = "";
        void Read(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                log.WriteLine(line);
                lastLine = line;
            }

            if (line.Contains("Application started", StringComparison.Ordinal))
            {
                slot.Started = true;
            }
        }

        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var lifetime = new Lifetime(index, process.Id, clock.Elapsed, metricsPort);
        process.Exited += (_, _) =>
        {
            lifetime.Ended = clock.Elapsed;
            lifetime.Exit = string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}");
            lock (log)
            {
                log.WriteLine($"==> soak: process {lifetime.Pid} ended ({lifetime.Exit})");
                log.Dispose();
                lifetime.Exit += $"; last line: {lastLine}";
            }
        };
        lock (slot)
        {
            slot.Process = process;
            slot.Lifetimes.Add(lifetime);
        }
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        var sampled = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            var sample = clock.Elapsed - sampled >= TimeSpan.FromSeconds(10);
            foreach (var slot in slots)
            {
                lock (slot)
                {
                    var process = slot.Process;
                    if (process is null)
                    {
                        continue;
                    }

                    if (process.HasExited)
                    {
                        if (!slot.Expected)
                        {
                            // A supervisor starts it again, as Kubernetes or systemd would; the exit is reported.
                            var lifetime = slot.Lifetimes[^1];
                            UnexpectedExits.Add(string.Create(CultureInfo.InvariantCulture,
                                $"worker {slot.Index + 1} (pid {lifetime.Pid}) exited at {clock.Elapsed:mm\\:ss} on its own: {lifetime.Exit}"));
                            Launch(slot);
                        }

                        continue;
                    }

                    if (sample && Rss(process.Id) is { } bytes)
                    {
                        slot.Lifetimes[^1].Rss.Add((clock.Elapsed, bytes));
                    }
                }
            }

            if (sample)
            {
                sampled = clock.Elapsed;
                await SampleGcHeapsAsync();
            }

            try
            {
                await Task.Delay(500, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Each live worker's GC heap from its /metrics, and a line per worker in memory.csv (elapsed s, worker, pid, RSS MB, GC heap MB, GC committed MB).</summary>
    private async Task SampleGcHeapsAsync()
    {
        foreach (var slot in slots)
        {
            Lifetime lifetime;
            lock (slot)
            {
                if (slot.Process is not { HasExited: false } || slot.Lifetimes.Count == 0)
                {
                    continue;
                }

                lifetime = slot.Lifetimes[^1];
            }

            long? heap = null;
            long? committed = null;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var metrics = await WorkerMetrics.ReadAsync(lifetime.MetricsPort, timeout.Token);
                heap = (long?)metrics.Sum("dotnet_gc_last_collection_heap_size_bytes");
                committed = (long?)metrics.Sum("dotnet_gc_last_collection_memory_committed_size_bytes");
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or FormatException)
            {
                // paused, starting or gone: no sample this time
            }

            if (heap is { } bytes)
            {
                lifetime.GcHeap.Add((clock.Elapsed, bytes));
            }

            var rss = lifetime.Rss.Count > 0 ? lifetime.Rss[^1].Bytes : 0;
            await File.AppendAllTextAsync(Path.Combine(settings.OutputDirectory, "memory.csv"), string.Create(CultureInfo.InvariantCulture,
                $"{clock.Elapsed.TotalSeconds:F0},{lifetime.Worker + 1},{lifetime.Pid},{rss / 1048576.0:F1},{(heap ?? 0) / 1048576.0:F1},{(committed ?? 0) / 1048576.0:F1}\n"));
        }
    }

    private static long? Rss(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null; // it ended meanwhile
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (supervision is not null)
        {
            await supervision;
        }

        foreach (var slot in slots)
        {
            slot.Expected = true;
            Signal(slot, "CONT");
            Signal(slot, "TERM");
        }

        foreach (var slot in slots)
        {
            if (slot.Process is { } process)
            {
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(45));
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }

        stopping.Dispose();
    }

    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        public Process? Process { get; set; }

        public bool Started { get; set; }

        /// <summary>The soak itself stopped it (a fault, or the end): not an exit to report.</summary>
        public bool Expected { get; set; }

        public List<Lifetime> Lifetimes { get; } = [];
    }
}
