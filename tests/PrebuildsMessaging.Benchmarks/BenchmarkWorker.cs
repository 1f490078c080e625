using System.Diagnostics;
using System.Text.RegularExpressions;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>
/// The real worker (<c>PrebuildsMessaging run</c>) as its own process with the default settings, except that it
/// requests no reconciliation at start-up (the benchmark asks for one) and serves health and metrics on a free port. Its log goes to a file and is read for
/// the per-batch summary lines.
/// </summary>
internal sealed partial class BenchmarkWorker : IAsyncDisposable
{
    private readonly Process process;
    private readonly StreamWriter log;
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock gate = new();
    private readonly List<string> logged = [];
    private int reconciliations;
    private bool disposed;

    private readonly int metricsPort;

    private BenchmarkWorker(Process process, StreamWriter log, int metricsPort)
    {
        this.process = process;
        this.log = log;
        this.metricsPort = metricsPort;
    }

    /// <summary>The worker's time in the JIT and in GC pauses so far, from its /metrics (the System.Runtime meter).</summary>
    public async Task<(double JitSeconds, double GcPauseSeconds)> RuntimeTimesAsync()
    {
        var metrics = await WorkerMetrics.ReadAsync(metricsPort);
        return (metrics.Sum("dotnet_jit_compilation_time_seconds_total") ?? double.NaN, metrics.Sum("dotnet_gc_pause_time_seconds_total") ?? double.NaN); // missing: printed as NaN, not as 0
    }

    /// <summary>Status queries the worker ran so far, from its summary lines.</summary>
    public int Reconciliations
    {
        get
        {
            lock (gate)
            {
                return reconciliations;
            }
        }
    }

    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Peak resident set size (VmHWM) so far.</summary>
    public long PeakRssBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    /// <summary>The worker at its defaults, and any setting given (as an operator would, by environment variable).</summary>
    public static async Task<BenchmarkWorker> StartAsync(string app, string connectionString, string amqpUri, string logPath, IReadOnlyDictionary<string, string>? settings = null)
    {
        var info = new ProcessStartInfo(Path.Combine(app, "PrebuildsMessaging"), ["run"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ConnectionStrings__Postgres"] = connectionString;
        info.Environment["ConnectionStrings__RabbitMq"] = amqpUri;
        info.Environment["Schedule__RunAtStartup"] = "false";
        info.Environment["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff "; // the log is a file read afterwards
        // Health and metrics stay on, as by default, on a port of their own.
        var metricsPort = FreePort();
        info.Environment["Health__Urls"] = $"http://127.0.0.1:{metricsPort}";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new BenchmarkWorker(process, new StreamWriter(logPath) { AutoFlush = true }, metricsPort);
        process.OutputDataReceived += (_, e) => worker.Read(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Read(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var first = await Task.WhenAny(worker.started.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != worker.started.Task)
        {
            await worker.DisposeAsync();
            throw new InvalidOperationException($"The worker did not start; see {logPath}.");
        }

        return worker;
    }

    /// <summary>An operator's <c>PrebuildsMessaging reconcile</c>, as its own process; returns once it has exited 0.</summary>
    public static async Task ReconcileAsync(string app, string connectionString, string amqpUri)
    {
        await RunCommandAsync(app, ["reconcile"], new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["ConnectionStrings__RabbitMq"] = amqpUri,
        });
    }

    /// <summary><c>migrate --with-dev-schema --with-change-feed --with-recommended-index</c> as its own process: Coder's tables, the change feed's publication, the index.</summary>
    public static async Task MigrateAsync(string app, string connectionString)
    {
        await RunCommandAsync(app, ["migrate", "--with-dev-schema", "--with-change-feed", "--with-recommended-index"],
            new Dictionary<string, string> { ["ConnectionStrings__Postgres"] = connectionString });
    }

    /// <summary>A one-shot subcommand of the app as its own process; returns once it has exited 0, or throws with its standard error.</summary>
    private static async Task RunCommandAsync(string app, string[] arguments, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(Path.Combine(app, "PrebuildsMessaging"), arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {arguments[0]}");
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{arguments[0]} exited {process.ExitCode}: {await errors}");
        }
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether the worker has logged a line containing this text.</summary>
    public bool HasLogged(string text)
    {
        lock (gate)
        {
            return logged.Any(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (gate)
        {
            log.WriteLine(line);
            if (logged.Count < 10_000)
            {
                logged.Add(line);
            }

            if (Answered().Match(line) is { Success: true })
            {
                if (!line.Contains("already covered by earlier status reads", StringComparison.Ordinal))
                {
                    reconciliations++;
                }
            }
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (!process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

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

        process.Dispose();
        lock (gate)
        {
            log.Dispose();
        }
    }

    // "Reconciliation … (12 requests, 3 already covered): …" or "Reconciliation …: all 12 requests already covered …"
    [GeneratedRegex(@"Reconciliation [0-9a-f-]+(?:.*?\((?<n>\d+) requests,|: all (?<n>\d+) requests)")]
    private static partial Regex AnsweredRegex();

    private static Regex Answered() => AnsweredRegex();
}
