using System.Collections.Concurrent;
using MassTransit;
using PrebuildsMessaging.Contracts;

namespace PrebuildsMessaging.Cli;

/// <summary>
/// Listens, on a temporary queue, for the ReconciliationCompleted that answers one request and for the
/// OrgPrebuildSetupEnsured of every command that reconciliation sent (in whatever order they arrive).
/// </summary>
internal sealed class ReconciliationWatcher(Guid requestId) : IDisposable
{
    private readonly TaskCompletionSource<ReconciliationCompleted> completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<Guid, ConcurrentBag<OrgPrebuildSetupEnsured>> ensuredByReconciliation = new();
    private readonly SemaphoreSlim changed = new(0);

    public ReconciliationCompleted? Completed => completed.Task.IsCompletedSuccessfully ? completed.Task.Result : null;

    public IReadOnlyList<OrgPrebuildSetupEnsured> Ensured =>
        Completed is { } c && ensuredByReconciliation.TryGetValue(c.ReconciliationId, out var bag) ? [.. bag] : [];

    public async Task<HostReceiveEndpointHandle> ConnectAsync(IBus bus)
    {
        var handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition(), KebabCaseEndpointNameFormatter.Instance, e =>
        {
            e.Handler<ReconciliationCompleted>(context =>
            {
                if (context.Message.RequestIds.Contains(requestId))
                {
                    completed.TrySetResult(context.Message);
                    changed.Release();
                }

                return Task.CompletedTask;
            });
            e.Handler<OrgPrebuildSetupsEnsured>(context =>
            {
                foreach (var ensured in context.Message.Organizations)
                {
                    ensuredByReconciliation.GetOrAdd(ensured.ReconciliationId, _ => []).Add(ensured);
                }

                changed.Release();
                return Task.CompletedTask;
            });
        });
        await handle.Ready.ConfigureAwait(false);
        return handle;
    }

    public void Dispose() => changed.Dispose();

    /// <summary>True when the reconciliation completed and every command it sent reported back before the deadline.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (!(Completed is { } c && Ensured.Select(e => e.OrganizationId).Distinct().Count() >= c.CommandsSent))
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
