using System.Diagnostics;
using System.Text;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// The real executable (`PrebuildsMessaging run`) as its own process: what a replica is in production.
/// Configured through environment variables, as an operator would; stopped with SIGINT (Ctrl-C).
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process) => this.process = process;

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static Task<WorkerProcess> StartAsync(TestDatabase db, string amqpUri, IDictionary<string, string?>? settings = null) =>
        StartAsync(db.ConnectionString, amqpUri, settings);

    public static async Task<WorkerProcess> StartAsync(string postgresConnectionString, string amqpUri, IDictionary<string, string?>? settings = null)
    {
        var info = Executable.StartInfo("run");
        TestSettings.ApplyTo(info, TestSettings.Merge(new()
        {
            ["ConnectionStrings:Postgres"] = postgresConnectionString,
            ["ConnectionStrings:RabbitMq"] = amqpUri,
            ["Schedule:Interval"] = "01:00:00",
            ["Schedule:RunAtStartup"] = "false",
            ["Logging:Console:FormatterName"] = "simple",
            ["Health:Enabled"] = "false",
            ["Memory:ReleaseStartupPages"] = "false", // on where a test is about it (StartupPageReleaseProcessTests)
        }, settings));

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => worker.Append(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var timeout = Task.Delay(TimeSpan.FromSeconds(30));
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(worker.started.Task, timeout, exited);
        if (first != worker.started.Task)
        {
            await worker.DisposeAsync();
            throw new InvalidOperationException($"The worker process did not start:\n{worker.Output}");
        }

        return worker;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    /// <summary>Ctrl-C, then waits for the graceful shutdown; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(45));
            try
            {
                await process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        return process.ExitCode;
    }

    public int ProcessId => process.Id;

    /// <summary>SIGKILL: no shutdown at all, as a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        process.Dispose();
    }
}
