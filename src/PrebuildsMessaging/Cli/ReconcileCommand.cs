using System.CommandLine;
using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker;

namespace PrebuildsMessaging.Cli;

/// <summary>
/// <c>reconcile [--org ID]... [--wait] [--timeout 60s]</c>: publishes ReconcileRequested (source manual), as plain JSON
/// on a plain AMQP connection (<see cref="ReconcileRequestPublisher"/>). With --wait, through a bus, and waits for its ReconciliationCompleted and for the outcome of every command it sent; exit 1 on timeout,
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
        command.SetAction((parse, ct) => parse.GetValue(wait)
            ? CommandRunner.RunAsync((host, token) => WaitAsync(host, parse.GetValue(orgs) ?? [], parse.GetValue(timeout), token), ct, builder =>
            {
                builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
                // A broker that cannot be reached is reported in one line (CommandFailure), not by the bus's own stack traces.
                builder.Logging.AddFilter("MassTransit", LogLevel.Critical).AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
                builder.Services.AddPrebuildsBusClient(builder.Configuration);
            })
            : CommandRunner.RunAsync(async (host, token) =>
            {
                var request = Request(host.Services.GetRequiredService<TimeProvider>(), parse.GetValue(orgs) ?? []);
                await ReconcileRequestPublisher.PublishAsync(host.Services.GetRequiredService<IConfiguration>(), request, token).ConfigureAwait(false);
                ReportRequested(request);
                return ExitCodes.Success;
            }, ct));
        return command;
    }

    private static readonly TimeSpan BrokerConnectTimeout = TimeSpan.FromSeconds(20);

    private static ReconcileRequested Request(TimeProvider time, Guid[] organizationIds) => new()
    {
        RequestId = NewId.NextGuid(),
        OrganizationIds = organizationIds,
        Source = ReconcileSources.Manual,
        RequestedAt = time.GetUtcNow(),
    };

    private static void ReportRequested(ReconcileRequested request)
    {
        var scope = request.OrganizationIds.Count == 0 ? "all organizations" : string.Join(", ", request.OrganizationIds);
        Console.WriteLine($"Requested reconciliation {request.RequestId} of {scope}.");
    }

    /// <summary>Through a bus, which listens for the answers: the request's ReconciliationCompleted and every setup's outcome.</summary>
    private static async Task<int> WaitAsync(IHost host, Guid[] organizationIds, TimeSpan timeout, CancellationToken token)
    {
        try
        {
            // MassTransit keeps trying an unreachable broker; a one-shot command gives up after a while.
            using (var starting = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                starting.CancelAfter(BrokerConnectTimeout);
                await host.StartAsync(starting.Token).ConfigureAwait(false);
            }

            return await WaitAsync(host.Services.GetRequiredService<IBus>(), Request(host.Services.GetRequiredService<TimeProvider>(), organizationIds), timeout, token)
                .ConfigureAwait(false);
        }
        finally
        {
            // Also after a failed start: a bus still trying to connect must stop, or the process never ends.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await host.StopAsync(stopping.Token).ConfigureAwait(false);
        }
    }

    private static async Task<int> WaitAsync(IBus bus, ReconcileRequested request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var watcher = new ReconciliationWatcher(request.RequestId);
        var handle = await watcher.ConnectAsync(bus).ConfigureAwait(false);
        try
        {
            await bus.Publish(request, cancellationToken).ConfigureAwait(false);
            ReportRequested(request);
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
            await handle.StopAsync(CancellationToken.None).ConfigureAwait(false);
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
