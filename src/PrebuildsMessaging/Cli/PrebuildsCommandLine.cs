using System.CommandLine;

namespace PrebuildsMessaging.Cli;

/// <summary>The executable's commands.</summary>
internal static class PrebuildsCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand("PrebuildsMessaging: keeps Coder's prebuilds system user a member of every organization with prebuild presets, and of its prebuilds group.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(SeedDemoCommand.Create());
        // With no subcommand, the executable runs the worker.
        root.SetAction((_, ct) => RunCommand.RunAsync(ct));
        return root;
    }
}
