using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PrebuildsMessaging.Worker.Messaging;

/// <summary>
/// One log line per state change of a receive endpoint: when it stops consuming while the worker is running
/// (the circuit breaker opened), and when it consumes again.
/// </summary>
public sealed partial class EndpointStateLogger(
    IHostApplicationLifetime lifetime,
    IOptions<BusOptions> options,
    ILogger<EndpointStateLogger> logger) : IReceiveEndpointObserver
{
    private readonly HashSet<Uri> stopped = [];

    public Task Ready(ReceiveEndpointReady ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        bool resumed;
        lock (stopped)
        {
            resumed = stopped.Remove(ready.InputAddress);
        }

        if (resumed)
        {
            var queue = ready.InputAddress.AbsolutePath.Split('/')[^1];
            LogResumed(logger, queue);
        }

        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping)
    {
        ArgumentNullException.ThrowIfNull(stopping);
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Task.CompletedTask; // a normal shutdown, not a state change worth a warning
        }

        bool first;
        lock (stopped)
        {
            first = stopped.Add(stopping.InputAddress);
        }

        if (first)
        {
            var queue = stopping.InputAddress.AbsolutePath.Split('/')[^1];
            LogStopped(logger, queue, options.Value.CircuitBreakerRestartTimeout);
        }

        return Task.CompletedTask;
    }

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit open: stopped consuming {Queue} after too many failures (is PostgreSQL down?); its messages wait in the queue; trying again in {RestartTimeout}")]
    private static partial void LogStopped(ILogger logger, string queue, TimeSpan restartTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit closed: consuming {Queue} again")]
    private static partial void LogResumed(ILogger logger, string queue);
}
