using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Cli;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>
/// <c>replay [--queue NAME | --all] [--include-skipped] [--limit N] [--dry-run]</c>: moves failed messages back to
/// the queue they failed in. Exit 0 when nothing failed to move, 1 otherwise.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var queue = new Option<string?>("--queue") { Description = "Replay this _error or _skipped queue." };
        var all = new Option<bool>("--all") { Description = "Replay every _error queue." };
        var includeSkipped = new Option<bool>("--include-skipped") { Description = "With --all, also replay the _skipped queues." };
        var limit = new Option<int?>("--limit") { Description = "Move at most this many messages in all." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only say what would be moved." };
        var command = new Command("replay", "Move messages from _error (and, when asked, _skipped) queues back to the queue they failed in. Safe to repeat: every handler is idempotent.")
        {
            queue,
            all,
            includeSkipped,
            limit,
            dryRun,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(queue) is null) == !result.GetValue(all))
            {
                result.AddError("Give exactly one of --queue NAME or --all.");
            }

            if (result.GetValue(limit) is <= 0)
            {
                result.AddError("--limit must be a positive number.");
            }
        });
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            using var broker = OperatorBroker.FromConfiguration(host.Services.GetRequiredService<IConfiguration>());
            var only = parse.GetValue(queue);
            var selected = (await broker.ErrorQueues.ListAsync(token).ConfigureAwait(false))
                .Where(q => only is not null ? q.Name == only : !q.IsSkipped || parse.GetValue(includeSkipped))
                .ToList();
            if (only is not null && selected.Count == 0)
            {
                await Console.Error.WriteLineAsync($"No _error or _skipped queue named '{only}'. `errors` lists them.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            if (parse.GetValue(dryRun))
            {
                foreach (var q in selected)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"would move {q.Messages} messages: {q.Name} → {q.SourceQueue}"));
                }

                return ExitCodes.Success;
            }

            var progress = new ConsoleProgress();
            var summary = await new ErrorQueueReplayer(broker.Connection).ReplayAsync(selected, parse.GetValue(limit), progress, token).ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"replay: {summary.Moved} moved, {summary.Skipped} skipped, {summary.Failed} failed"));
            return summary.Failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }, ct, withDatabase: false)); // the broker alone: no PostgreSQL setting, no bus
        return command;
    }
}
