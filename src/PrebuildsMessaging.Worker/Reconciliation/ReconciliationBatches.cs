using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.Messaging;

namespace PrebuildsMessaging.Worker.Reconciliation;

/// <summary>
/// Step 2 of the flow, continued: how requests share a status query. Batching appears only under load; one batch
/// runs at a time in a worker.
/// <list type="bullet">
/// <item>A request that finds nothing running, and no shared pass (one of several requests) that ended within the
/// quiet period, starts a pass at once: a lone change waits for no window, and neither does one that follows a lone
/// pass (changes made one after the other, each once the one before it has converged).</item>
/// <item>Requests that arrive while a pass runs, or within the quiet period after a shared pass, wait together for the next. It starts once no request has
/// arrived for Bus:ReconcileBatchTimeLimit (a quiet period), once it has waited Bus:ReconcileBatchMaxWait since its
/// first request (a steady stream has no quiet period), or once it holds Bus:ReconcileBatchMessageLimit requests.
/// A burst becomes a handful of status queries, and a steady stream is read at least every
/// Bus:ReconcileBatchMaxWait.</item>
/// </list>
/// Each request's consume ends when its batch has been answered, or fails with it, and is then retried.
/// </summary>
public sealed class ReconciliationBatches : IDisposable
{
    private readonly Func<IReadOnlyList<ReconcileRequested>, CancellationToken, Task> pass;
    private readonly IOptions<BusOptions> options;
    private readonly TimeProvider timeProvider;
    private readonly Lock gate = new();
    private readonly LinkedList<Batch> waiting = new(); // the first is the next to run, the last the one requests join
    private readonly CancellationTokenSource disposed = new();
    private bool running; // the loop that runs batches is on
    private bool passing; // a pass is running: a batch opened now waits to fill
    private long? lastSharedPassEndedAt; // within a quiet period after a pass of several requests, a batch opened waits to fill too

    public ReconciliationBatches(ReconciliationPass pass, IOptions<BusOptions> options, TimeProvider timeProvider)
        : this((pass ?? throw new ArgumentNullException(nameof(pass))).RunAsync, options, timeProvider)
    {
    }

    /// <summary>Batches for any pass: the tests give one that records what it was given.</summary>
    internal ReconciliationBatches(Func<IReadOnlyList<ReconcileRequested>, CancellationToken, Task> pass, IOptions<BusOptions> options, TimeProvider timeProvider)
    {
        this.pass = pass;
        this.options = options;
        this.timeProvider = timeProvider;
    }

    /// <summary>Joins the request to a batch and completes when that batch's pass has answered it.</summary>
    public Task JoinAsync(ReconcileRequested request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = options.Value.ReconcileBatchMessageLimit;
        var now = timeProvider.GetTimestamp();
        Batch batch;
        var startNow = false;
        lock (gate)
        {
            if (waiting.Last?.Value is { } open && open.Count < limit)
            {
                batch = open;
            }
            else
            {
                var underLoad = passing || (lastSharedPassEndedAt is { } ended && timeProvider.GetElapsedTime(ended, now) < options.Value.ReconcileBatchTimeLimit);
                batch = new Batch(now, openedUnderLoad: underLoad);
                waiting.AddLast(batch);
            }

            batch.Add(request, now, limit);
            if (!running)
            {
                running = true;
                startNow = true;
            }
        }

        if (startNow)
        {
            _ = Task.Run(RunAsync, CancellationToken.None);
        }

        return batch.Answered.WaitAsync(cancellationToken);
    }

    /// <summary>Runs batches one after the other until none waits: at once, unless opened while a pass ran.</summary>
    private async Task RunAsync()
    {
        var settings = options.Value;
        while (true)
        {
            Batch batch;
            lock (gate)
            {
                if (waiting.First?.Value is not { } next)
                {
                    running = false;
                    return;
                }

                batch = next;
            }

            if (batch.OpenedUnderLoad)
            {
                await batch.ReadyAsync(settings.ReconcileBatchTimeLimit, settings.ReconcileBatchMaxWait, timeProvider, gate).ConfigureAwait(false);
            }

            IReadOnlyList<ReconcileRequested> requests;
            lock (gate)
            {
                waiting.RemoveFirst(); // closed: later requests join the batch after it
                requests = batch.Requests;
                passing = true;
            }

            Exception? error = null;
            try
            {
                await pass(requests, disposed.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                error = ex;
            }

            lock (gate)
            {
                passing = false;
                // A pass of one request is no sign of load: the request after it, however soon, is read at once.
                lastSharedPassEndedAt = requests.Count > 1 ? timeProvider.GetTimestamp() : null;
            }

            batch.Answer(error);
        }
    }

    public void Dispose()
    {
        disposed.Cancel();
        disposed.Dispose();
    }

    /// <summary>Requests that share a pass. Changed only under the batches' lock.</summary>
    private sealed class Batch(long opened, bool openedUnderLoad)
    {
        private readonly long openedAt = opened;
        private readonly List<ReconcileRequested> requests = [];
        private readonly TaskCompletionSource answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource full = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long lastArrivalAt = opened;

        public int Count => requests.Count;

        /// <summary>Opened while a pass ran or just after one: there is load, so it waits to fill before it runs.</summary>
        public bool OpenedUnderLoad { get; } = openedUnderLoad;

        public Task Answered => answered.Task;

        public IReadOnlyList<ReconcileRequested> Requests => requests;

        public void Add(ReconcileRequested request, long now, int limit)
        {
            requests.Add(request);
            lastArrivalAt = now;
            if (requests.Count >= limit)
            {
                full.TrySetResult();
            }
        }

        public void Answer(Exception? error)
        {
            if (error is null)
            {
                answered.TrySetResult();
            }
            else
            {
                answered.TrySetException(error);
            }
        }

        /// <summary>Waits for a quiet period, the longest wait or a full batch, whichever comes first.</summary>
        public async Task ReadyAsync(TimeSpan quiet, TimeSpan maxWait, TimeProvider timeProvider, Lock gate)
        {
            while (true)
            {
                TimeSpan wait;
                lock (gate)
                {
                    var sinceLast = timeProvider.GetElapsedTime(lastArrivalAt);
                    var sinceOpened = timeProvider.GetElapsedTime(openedAt);
                    wait = quiet - sinceLast < maxWait - sinceOpened ? quiet - sinceLast : maxWait - sinceOpened;
                }

                if (wait <= TimeSpan.Zero || full.Task.IsCompleted)
                {
                    return;
                }

                await Task.WhenAny(full.Task, Task.Delay(wait, timeProvider)).ConfigureAwait(false);
            }
        }
    }
}
