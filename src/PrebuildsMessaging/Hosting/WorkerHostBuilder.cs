using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Observability;
using PrebuildsMessaging.Scheduling;

namespace PrebuildsMessaging.Hosting;

/// <summary>What the worker adds to the core: the bus with its consumers, the schedule, and health and metrics.</summary>
public static class WorkerHostBuilder
{
    public static void AddWorker(HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPrebuildsMessaging(builder.Configuration);
        builder.Services.AddPrebuildsSchedule(builder.Configuration);
        builder.Services.AddPrebuildsObservability(builder.Configuration);
    }
}
