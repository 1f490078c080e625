using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Messaging;
using PrebuildsMessaging.Scheduling;

namespace PrebuildsMessaging.Hosting;

/// <summary>What the worker adds to the core: the bus with its consumers, and the schedule.</summary>
public static class WorkerHostBuilder
{
    public static void AddWorker(HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPrebuildsMessaging(builder.Configuration);
        builder.Services.AddPrebuildsSchedule(builder.Configuration);
    }
}
