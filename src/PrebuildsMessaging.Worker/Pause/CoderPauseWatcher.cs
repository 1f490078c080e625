using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Pause;

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

    /// <summary>True while this worker last saw Coder's pause on (and honours it).</summary>
    public bool IsPaused
    {
        get
        {
            lock (gate)
            {
                return paused == true;
            }
        }
    }

    /// <summary>A status query or an ensure batch read the pause; on the pause's end, one full reconciliation is requested.</summary>
    public async Task ObserveAsync(bool pausedByCoder, CancellationToken cancellationToken)
    {
        if (Observe(pausedByCoder))
        {
            await bus.Publish(ReconcileRequestedFactory.All(ReconcileSources.Resumed, timeProvider), cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Observe(bool pausedByCoder)
    {
        bool? before;
        lock (gate)
        {
            before = paused;
            paused = pausedByCoder;
        }

        metrics.PausedByCoder(pausedByCoder);
        if (before == pausedByCoder)
        {
            return false;
        }

        if (pausedByCoder)
        {
            LogPaused(logger);
            pausedSignal.Release();
            return false;
        }

        if (before == true)
        {
            LogResumed(logger);
            return true;
        }

        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.IgnoreCoderPause)
        {
            return;
        }

        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (first || IsPaused)
                {
                    first = false;
                    await ObserveAsync(await pause.ReadAsync(stoppingToken).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
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
                // The database or the broker is away: try again; the pause is read by every pass meanwhile.
                LogCheckFailed(logger, ex.Message);
                first = true;
                await Task.Delay(settings.PauseCheckInterval, timeProvider, stoppingToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read Coder's prebuilds pause: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string reason);
}
