using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Database.Migrations;

namespace PrebuildsMessaging.Cli;

/// <summary><c>migrate [--with-dev-schema] [--with-recommended-index]</c></summary>
internal static class MigrateCommand
{
    public static Command Create()
    {
        var withDevSchema = new Option<bool>("--with-dev-schema")
        {
            Description = "Also create Coder's tables from sql/schema/ (development and demo only; never against a real Coder database).",
        };
        var withRecommendedIndex = new Option<bool>("--with-recommended-index")
        {
            Description = "Also build the partial index on template_version_presets(template_version_id) CONCURRENTLY (an operator's decision; see the README).",
        };
        var command = new Command("migrate", "Apply the service's own schema (prebuilds_messaging), and optionally Coder's development tables and the recommended index.")
        {
            withDevSchema,
            withRecommendedIndex,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            var request = new MigrationRequest(parse.GetValue(withDevSchema), parse.GetValue(withRecommendedIndex));
            await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(request, token).ConfigureAwait(false);
            Console.WriteLine("Migrations applied.");
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
