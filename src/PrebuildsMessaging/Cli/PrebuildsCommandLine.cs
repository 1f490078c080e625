using System.CommandLine;
using PrebuildsMessaging.ErrorQueues;

namespace PrebuildsMessaging.Cli;

/// <summary>The executable's commands.</summary>
internal static class PrebuildsCommandLine
{
    /// <summary>Parses and runs; a usage error prints its reasons and exits 2, apart from a command's own exit 1.</summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message).ConfigureAwait(false);
            }

            await Console.Error.WriteLineAsync("Run with --help for usage.").ConfigureAwait(false);
            return ExitCodes.ConfigurationError;
        }

        return await parse.InvokeAsync().ConfigureAwait(false);
    }

    public static RootCommand Create()
    {
        var root = new RootCommand("PrebuildsMessaging: keeps Coder's prebuilds system user a member of every organization with prebuild presets, and of its prebuilds group.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(SeedDemoCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ReconcileCommand.Create());
        root.Subcommands.Add(ErrorsCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        // With no subcommand, the executable runs the worker.
        root.SetAction((_, ct) => RunCommand.RunAsync(ct));
        return root;
    }
}
