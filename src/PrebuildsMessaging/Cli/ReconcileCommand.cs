using System.CommandLine;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker;

namespace PrebuildsMessaging.Cli;

/// <summary>
/// <c>reconcile [--org ID]... [--wait] [--timeout 60s]</c>: publishes ReconcileRequested (source manual). With
/// --wait, waits for its ReconciliationCompleted and for the outcome of every command it sent; exit 1 on timeout,
/// 3 when Coder's administrators have paused prebuilds reconciliation (nothing was written).
/// </summary>
internal static class ReconcileCommand
{
    public static Command Create()
    {
        var orgs = OrganizationOption.Create("Only these organizations (repeatable); default: every organization.");
        var wait = new Option<bool>("--wait") { Description = "Wait until the reconciliation and every setup it started have finished." };
        var timeout = DurationOption.Create("--timeout", TimeSpan.FromSeconds(60), "How long --wait waits (e.g. 60s, 5m). Default 60s.");
        var command = new Command("reconcile", "Ask the workers for a reconciliation now (source manual); with --wait, report what it did.")
        {
            orgs,
            wait,
            timeout,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(async (host, token) =>
        {
            try
            {
                // MassTransit keeps trying an unreachable broker; a one-shot command gives up after a while.
                using (var starting = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    starting.CancelAfter(BrokerConnectTimeout);
                    await host.StartAsync(starting.Token).ConfigureAwait(false);
                }

                return await RunAsync(host.Services.GetRequiredService<IBus>(), host.Services.GetRequiredService<TimeProvider>(),
                    parse.GetValue(orgs) ?? [], parse.GetValue(wait), parse.GetValue(timeout), token).ConfigureAwait(false);
            }
            finally
            {
                // Also after a failed start: a bus still trying to connect must stop, or the process never ends.
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await host.StopAsync(stopping.Token).ConfigureAwait(false);
            }
        }, ct, builder =>
        {
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
            // A broker that cannot be reached is reported in one line (CommandFailure), not by the bus's own stack traces.
            builder.Logging.AddFilter("MassTransit", LogLevel.Critical).AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
            builder.Services.AddPrebuildsBusClient(builder.Configuration);
        }));
        return command;
    }

    private static readonly TimeSpan BrokerConnectTimeout = TimeSpan.FromSeconds(20);

    private static async Task<int> RunAsync(IBus bus, TimeProvider time, Guid[] organizationIds, bool wait, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = new ReconcileRequested
        {
            RequestId = NewId.NextGuid(),
            OrganizationIds = organizationIds,
            Source = ReconcileSources.Manual,
            RequestedAt = time.GetUtcNow(),
        };
        using var watcher = new ReconciliationWatcher(request.RequestId);
        HostReceiveEndpointHandle? handle = wait ? await watcher.ConnectAsync(bus).ConfigureAwait(false) : null;
        try
        {
            await bus.Publish(request, cancellationToken).ConfigureAwait(false);
            var scope = organizationIds.Length == 0 ? "all organizations" : string.Join(", ", organizationIds);
            Console.WriteLine($"Requested reconciliation {request.RequestId} of {scope}.");
            if (!wait)
            {
                return ExitCodes.Success;
            }

            var finished = await watcher.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            Report(watcher);
            if (watcher.Completed is { PausedByCoder: true } || watcher.Ensured.Any(e => e.Outcome == EnsureOutcomes.Paused))
            {
                await Console.Error.WriteLineAsync(PauseView.HeldBack).ConfigureAwait(false);
                return ExitCodes.PausedByCoder;
            }

            if (!finished)
            {
                await Console.Error.WriteLineAsync(watcher.Completed is null
                    ? $"Timed out after {timeout}: no worker answered the request (is one running?)."
                    : $"Timed out after {timeout}: {watcher.Ensured.Count} of {watcher.Completed.CommandsSent} setups reported back.").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        }
        finally
        {
            if (handle is not null)
            {
                await handle.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static void Report(ReconciliationWatcher watcher)
    {
        if (watcher.Completed is not { } completed)
        {
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Reconciliation {completed.ReconciliationId}: {completed.OrganizationsChecked} organizations checked, {completed.CommandsSent} commands sent, in {completed.Duration.TotalMilliseconds:F0} ms."));
        foreach (var ensured in watcher.Ensured.OrderBy(e => e.OrganizationId))
        {
            var created = new[]
            {
                ensured.MembershipCreated ? "membership" : null,
                ensured.GroupCreated ? "group" : null,
                ensured.GroupMembershipCreated ? "group membership" : null,
            }.Where(c => c is not null).ToList();
            var createdText = created.Count > 0 ? string.Join(", ", created) : "nothing";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {ensured.OrganizationId}: {ensured.Outcome}; created: {createdText}; already there: {ensured.UniqueViolationsTolerated}"));
        }
    }
}
