using System.CommandLine;
using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Hosting;

namespace PrebuildsMessaging.Cli;

/// <summary><c>run</c>: the worker, until Ctrl-C or SIGTERM; in-flight messages finish first.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Run the worker: consume change events and reconciliation requests, send and handle setup commands, and run the schedule.");
        command.SetAction((_, ct) => RunAsync(ct));
        return command;
    }

    public static Task<int> RunAsync(CancellationToken cancellationToken) => CommandRunner.RunAsync(async (host, token) =>
    {
        await host.RunAsync(token).ConfigureAwait(false);
        return ExitCodes.Success;
    }, cancellationToken, WorkerHostBuilder.AddWorker);
}
