using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Cli;

namespace PrebuildsMessaging.ErrorQueues;

/// <summary>
/// <c>errors [--queue NAME] [--max N]</c>: every _error and _skipped queue that holds messages, with its count, and per message its
/// type, id, fault and time. Read through the management API with requeue: nothing is consumed or reordered.
/// Exit 0 when every error queue is empty, 1 when messages are waiting.
/// </summary>
internal static class ErrorsCommand
{
    public static Command Create()
    {
        var queue = new Option<string?>("--queue") { Description = "Only this queue (e.g. prebuilds-ensure-org-setup_error)." };
        var max = new Option<int>("--max") { Description = "Show at most this many messages per queue (default 50).", DefaultValueFactory = _ => 50 };
        var command = new Command("errors", "List the _error and _skipped queues and why their messages failed, without consuming them. Exit 0 when all are empty, 1 otherwise.")
        {
            queue,
            max,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            using var broker = OperatorBroker.FromConfiguration(host.Services.GetRequiredService<IConfiguration>());
            // The worker declares every error queue at start, so most exist and are empty: list those that hold
            // messages, or the one queue asked for.
            var only = parse.GetValue(queue);
            var queues = (await broker.ErrorQueues.ListAsync(token).ConfigureAwait(false))
                .Where(q => only is null ? q.Messages > 0 : q.Name == only)
                .ToList();
            foreach (var errorQueue in queues)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{errorQueue.Name}: {errorQueue.Messages} messages (from {errorQueue.SourceQueue})"));
                if (errorQueue.Messages == 0)
                {
                    continue;
                }

                var shown = await broker.Management.PeekAsync(errorQueue.Name, Math.Max(1, parse.GetValue(max)), token).ConfigureAwait(false);
                var number = 0;
                foreach (var message in shown)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  {++number}. {message.MessageType}  id={message.MessageId ?? "-"}  at={message.FaultTime ?? "-"}  reason={message.Reason ?? "-"}  retries={message.RetryCount}"));
                    Console.WriteLine($"     {message.ExceptionType ?? "(no exception)"}: {message.ExceptionMessage ?? ""}");
                }

                if (errorQueue.Messages > shown.Count)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  … and {errorQueue.Messages - shown.Count} more"));
                }
            }

            var total = queues.Sum(q => q.Messages);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"total: {queues.Count} queues, {total} messages"));
            return total == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }, ct, withDatabase: false)); // the broker alone: no PostgreSQL setting, no bus
        return command;
    }
}
