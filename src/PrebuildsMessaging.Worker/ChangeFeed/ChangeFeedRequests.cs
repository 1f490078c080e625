using Microsoft.Extensions.Logging;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Worker.ChangeFeed;

/// <summary>
/// The requests of one connection of the change feed. The reader hands over what each decoded transaction needs and
/// streams on; one publish is in flight at a time, and the transactions decoded meanwhile share the next request
/// (every organization if any of them asks for all). A transaction alone is published at once; a steady stream of
/// them costs a request per broker confirm, not one each. A failed publish ends the connection (<see cref="Failed"/>):
/// the next one starts with a request of every organization, so nothing a lost request stood for is missed.
/// </summary>
internal sealed partial class ChangeFeedRequests(
    ChangeFeedTransactions transactions,
    Func<ReconcileRequested, CancellationToken, Task> publishConfirmed,
    TimeProvider timeProvider,
    ILogger logger) : IDisposable
{
    private readonly Lock gate = new();
    private readonly CancellationTokenSource stream = new();
    private Pending pending = new();
    private bool publishing;
    private Exception? failure;

    /// <summary>Cancelled when a publish fails, and when the connection ends: the stream's token.</summary>
    public CancellationToken Stream => stream.Token;

    /// <summary>The error of the first publish that failed, once one has.</summary>
    public Exception? Failure
    {
        get
        {
            lock (gate)
            {
                return failure;
            }
        }
    }

    public void Add(ChangeFeedNeeds needs, uint xid)
    {
        ArgumentNullException.ThrowIfNull(needs);
        if (needs.IsEmpty)
        {
            return;
        }

        lock (gate)
        {
            pending.Add(needs, xid);
            if (publishing || failure is not null)
            {
                return;
            }

            publishing = true;
        }

        _ = Task.Run(() => PublishAllAsync(stream.Token), CancellationToken.None);
    }

    /// <summary>Ends the connection's publishing: what is pending is left to the next connection's snapshot.</summary>
    public void Dispose()
    {
        stream.Cancel();
        stream.Dispose();
    }

    private async Task PublishAllAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Pending batch;
                lock (gate)
                {
                    if (pending.Transactions.Count == 0)
                    {
                        publishing = false;
                        return;
                    }

                    batch = pending;
                    pending = new Pending();
                }

                await PublishAsync(batch, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            lock (gate)
            {
                failure ??= ex;
                publishing = false;
                if (!cancellationToken.IsCancellationRequested)
                {
                    stream.Cancel(); // ends the stream: the reader reconnects, with a snapshot
                }
            }
        }
    }

    private async Task PublishAsync(Pending batch, CancellationToken cancellationToken)
    {
        // Once new snapshots see the transactions (a read before that would miss them), with their versions' organizations.
        var organizations = batch.Organizations;
        organizations.UnionWith(await transactions.VisibleOrganizationsAsync(batch.Transactions, batch.All ? [] : batch.Versions, cancellationToken).ConfigureAwait(false));
        if (batch.All)
        {
            await publishConfirmed(ReconciliationRequests.All(ReconcileSources.ChangeFeed, timeProvider), cancellationToken).ConfigureAwait(false);
            LogRequestedAll(logger, batch.Transactions.Count);
            return;
        }

        if (organizations.Count == 0)
        {
            return; // e.g. a preset whose version is gone again
        }

        foreach (var chunk in organizations.Chunk(ChangeEventRequests.OrganizationLimit))
        {
            await publishConfirmed(ReconciliationRequests.For(chunk, ReconcileSources.ChangeFeed, timeProvider), cancellationToken).ConfigureAwait(false);
        }

        LogRequested(logger, batch.Transactions.Count, organizations.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: {Transactions} transactions ask for a reconciliation of {Organizations} organizations")]
    private static partial void LogRequested(ILogger logger, int transactions, int organizations);

    [LoggerMessage(Level = LogLevel.Information, Message = "Change feed: {Transactions} transactions ask for a reconciliation of every organization")]
    private static partial void LogRequestedAll(ILogger logger, int transactions);

    /// <summary>What the transactions decoded since the last publish need. Changed only under the lock.</summary>
    private sealed class Pending
    {
        public List<uint> Transactions { get; } = [];

        public HashSet<Guid> Organizations { get; } = [];

        public HashSet<Guid> Versions { get; } = [];

        public bool All { get; private set; }

        public void Add(ChangeFeedNeeds needs, uint xid)
        {
            Transactions.Add(xid);
            Organizations.UnionWith(needs.Organizations);
            Versions.UnionWith(needs.TemplateVersions);
            All |= needs.All;
        }
    }
}
