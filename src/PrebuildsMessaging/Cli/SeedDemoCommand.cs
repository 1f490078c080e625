using System.CommandLine;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PrebuildsMessaging.Database;

namespace PrebuildsMessaging.Cli;

/// <summary><c>seed-demo</c>: the small demo data set that ./run.sh uses (needs `migrate --with-dev-schema` first).</summary>
internal static class SeedDemoCommand
{
    public static Command Create()
    {
        var command = new Command("seed-demo", "Insert the demo organizations, templates and presets (idempotent; development databases only).");
        command.SetAction((_, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
            await using var connection = await dataSource.OpenConnectionAsync(token).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Resource("sql/demo/SeedDemo.sql"), cancellationToken: token)).ConfigureAwait(false);
            Console.WriteLine("Demo data present: acme (needs setup), globex (needs a group), initech (set up), umbrella (no prebuilds).");
            return ExitCodes.Success;
        }, ct));
        return command;
    }
}
