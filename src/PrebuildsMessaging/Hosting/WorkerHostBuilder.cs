using Microsoft.Extensions.Hosting;
using PrebuildsMessaging.Worker;

namespace PrebuildsMessaging.Hosting;

/// <summary>The worker's host: the core (from <see cref="ServiceHostFactory"/>) and the worker layer.</summary>
public static class WorkerHostBuilder
{
    public static void AddWorker(HostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPrebuildsWorker(builder.Configuration);
    }
}
