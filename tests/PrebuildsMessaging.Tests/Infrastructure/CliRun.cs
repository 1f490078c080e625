using System.Diagnostics;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>One run of the real executable with a subcommand, configured through the environment like an operator's shell.</summary>
public sealed record CliRun(int ExitCode, string StandardOutput, string StandardError)
{
    public static async Task<CliRun> ExecuteAsync(IDictionary<string, string?> environment, params string[] args)
    {
        var info = Executable.StartInfo(args);
        TestSettings.ApplyTo(info, TestSettings.Merge(new() { ["Logging:LogLevel:Default"] = "Warning" }, environment));

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the executable");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
