using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Core.Database.Migrations;

namespace PrebuildsMessaging.Cli;

/// <summary><c>migrate [--with-dev-schema] [--with-recommended-index] [--with-change-feed | --drop-change-feed]</c></summary>
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
            Description = "Also build the partial index on template_version_presets(template_version_id) CONCURRENTLY (an operator's decision; see docs/architecture.md).",
        };
        var withChangeFeed = new Option<bool>("--with-change-feed")
        {
            Description = "Also create the change feed's publication (prebuilds_messaging_changes). Needs wal_level = logical and the tables' owner; the workers create their temporary slot themselves.",
        };
        var dropChangeFeed = new Option<bool>("--drop-change-feed")
        {
            Description = "Drop the change feed's publication, and a permanent slot ChangeFeed:SlotName left by an earlier version (stop the workers that stream first).",
        };
        var command = new Command("migrate", "Apply the service's own schema (prebuilds_messaging), and optionally Coder's development tables, the recommended index and the change feed.")
        {
            withDevSchema,
            withRecommendedIndex,
            withChangeFeed,
            dropChangeFeed,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(withChangeFeed) && result.GetValue(dropChangeFeed))
            {
                result.AddError("--with-change-feed and --drop-change-feed cannot be given together.");
            }
        });
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            var request = new MigrationRequest(parse.GetValue(withDevSchema), parse.GetValue(withRecommendedIndex));
            await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(request, token).ConfigureAwait(false);
            var feed = host.Services.GetRequiredService<ChangeFeedSetup>();
            var slot = host.Services.GetRequiredService<IOptions<ChangeFeedOptions>>().Value.SlotName;
            if (parse.GetValue(withChangeFeed))
            {
                await feed.CreateAsync(token).ConfigureAwait(false);
            }
            else if (parse.GetValue(dropChangeFeed))
            {
                await feed.DropAsync(slot, token).ConfigureAwait(false);
            }

            Console.WriteLine("Migrations applied.");
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
