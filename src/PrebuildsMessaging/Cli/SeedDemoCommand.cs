using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Cli;

/// <summary><c>seed-demo</c>: the small demo data set that ./run.sh uses (needs `migrate --with-dev-schema` first).</summary>
internal static class SeedDemoCommand
{
    public static Command Create()
    {
        var command = new Command("seed-demo", "Insert the demo organizations, templates and presets (idempotent; development databases only).");
        command.SetAction((_, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            await host.Services.GetRequiredService<DemoData>().SeedAsync(token).ConfigureAwait(false);
            Console.WriteLine("Demo data present: acme (needs setup), globex (needs a group), initech (set up), umbrella (no prebuilds).");
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
