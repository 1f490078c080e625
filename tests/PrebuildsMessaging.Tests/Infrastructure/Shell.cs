using System.Diagnostics;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>Runs a tool (bash, psql) for a test and fails the test, with what it printed, when the tool fails.</summary>
public static class Shell
{
    public static async Task RunAsync(string file, IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(limit.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{await output}\n{await errors}");
        }
    }

    /// <summary>A function of one of the repository's compose/native scripts, sourced into bash.</summary>
    public static Task ScriptAsync(string script, string command, IDictionary<string, string?>? environment = null) =>
        RunAsync("bash", ["-c", $"source '{RepositoryFiles.Path("compose", "native", script)}' && {command}"], environment);
}
