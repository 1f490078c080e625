using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Core.Pause;
using PrebuildsMessaging.Worker.Observability;
using PrebuildsMessaging.Worker.Reconciliation;

namespace PrebuildsMessaging.Worker.Pause;

/// <summary>
/// What this worker knows of Coder's pause of prebuilds reconciliation. Every status query and every ensure batch
/// reads the pause anyway and reports it here; the watcher itself reads it once at start, and then only while the
/// pause is on, every Prebuilds:PauseCheckInterval (1 s), to see it lifted: an idle, unpaused worker costs nothing.
/// It logs one line when the pause begins and one when it ends, keeps the gauge, and on the resume requests one
/// full reconciliation (source resumed), which answers whatever was held back meanwhile. With
/// Prebuilds:IgnoreCoderPause nothing is held back, and the watcher stays idle.
/// </summary>
public sealed partial class CoderPauseWatcher(
    CoderPause pause,
    IBus bus,
    IOptions<PrebuildsOptions> options,
    PrebuildsMetrics metrics,
    TimeProvider timeProvider,
    ILogger<CoderPauseWatcher> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim pausedSignal = new(0);
    private bool? paused;
    private DateTimeOffset observedAt = DateTimeOffset.MinValue;
    private bool resumePending;

    /// <summary>True while this worker last saw Coder's pause on (and honours it), or has still to request the catch-up.</summary>
    public bool IsPaused
    {
        get
        {
            lock (gate)
            {
                return paused == true || resumePending;
            }
        }
    }

    /// <summary>
    /// A status query or an ensure batch read the pause, in a read that started at <paramref name="readAt"/> (an older
    /// read than the last one seen is ignored: passes run side by side). On the pause's end, one full reconciliation
    /// is requested; until its publish succeeds, the watcher keeps looking and tries again.
    /// </summary>
    public async Task ObserveAsync(bool pausedByCoder, DateTimeOffset readAt, CancellationToken cancellationToken)
    {
        bool began;
        bool ended;
        bool publish;
        lock (gate)
        {
            if (readAt < observedAt)
            {
                return;
            }

            observedAt = readAt;
            began = pausedByCoder && paused != true;
            ended = !pausedByCoder && paused == true;
            paused = pausedByCoder;
            resumePending = !pausedByCoder && (resumePending || ended);
            publish = resumePending;
            metrics.PausedByCoder(pausedByCoder);
        }

        if (began)
        {
            LogPaused(logger);
            pausedSignal.Release();
        }
        else if (ended)
        {
            LogResumed(logger);
        }

        if (publish)
        {
            await bus.Publish(ReconciliationRequests.All(ReconcileSources.Resumed, timeProvider), cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                resumePending = resumePending && paused == true; // published: nothing pending unless paused again since
            }
        }
    }

    /// <summary>At start: the function that reads the pause must be there (`migrate` makes it); without it every pass would fail.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.IgnoreCoderPause)
        {
            try
            {
                var readAt = timeProvider.GetUtcNow();
                await ObserveAsync(await pause.ReadAsync(cancellationToken).ConfigureAwait(false), readAt, cancellationToken).ConfigureAwait(false);
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState is "42883" or "3F000")
            {
                throw new SchemaMissingException(
                    "The function prebuilds_messaging.coder_reconciliation_paused(), through which the worker reads Coder's pause of prebuilds reconciliation, is missing: " +
                    "run `migrate` (as a role that can read site_configs), or have an administrator run sql/roles/coder-prebuilds-settings.sql.", ex);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
            {
                LogCheckFailed(logger, ex.Message); // the database is away: the loop looks again
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.IgnoreCoderPause)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                bool known;
                lock (gate)
                {
                    known = paused is not null;
                }

                if (!known || IsPaused)
                {
                    var readAt = timeProvider.GetUtcNow();
                    await ObserveAsync(await pause.ReadAsync(stoppingToken).ConfigureAwait(false), readAt, stoppingToken).ConfigureAwait(false);
                }

                if (IsPaused)
                {
                    await Task.Delay(settings.PauseCheckInterval, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    await pausedSignal.WaitAsync(stoppingToken).ConfigureAwait(false); // until a pass sees the pause
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database or the broker is away: look again after the interval; every pass reads the pause meanwhile.
                LogCheckFailed(logger, ex.Message);
                try
                {
                    await Task.Delay(settings.PauseCheckInterval, timeProvider, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    public override void Dispose()
    {
        pausedSignal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Coder has paused prebuilds reconciliation (coder prebuilds pause): nothing is written until it is resumed; set Prebuilds:IgnoreCoderPause=true to keep the membership anyway")]
    private static partial void LogPaused(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Coder resumed prebuilds reconciliation: requesting a reconciliation of every organization to catch up")]
    private static partial void LogResumed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read Coder's prebuilds pause, or request the catch-up after it: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string reason);
}
