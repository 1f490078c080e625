using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace PrebuildsMessaging.Worker.Observability;

/// <summary>
/// A small Kestrel app beside the worker: /healthz (the process is alive), /readyz (the bus is connected and
/// PostgreSQL answers) and /metrics (Prometheus text). It serves the worker's own health checks and meters.
/// </summary>
internal sealed partial class ObservabilityServer(IServiceProvider services, IOptions<HealthOptions> options, ILogger<ObservabilityServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var health = options.Value;
        if (!health.Enabled)
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(health.Urls);
        app = builder.Build();
        var checks = services.GetRequiredService<HealthCheckService>();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", async (CancellationToken token) =>
        {
            var report = await checks.CheckHealthAsync(c => c.Tags.Contains("ready"), token).ConfigureAwait(false);
            var body = JsonSerializer.Serialize(new
            {
                status = report.Status.ToString(),
                checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
            });
            return Results.Text(body, "application/json", statusCode: report.Status == HealthStatus.Healthy ? 200 : 503);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(services.GetRequiredService<MeterProvider>(), null, "/metrics", null, null);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        LogListening(logger, health.Urls);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (app is not null)
        {
            await app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Health and metrics on {Urls}: /healthz, /readyz, /metrics")]
    private static partial void LogListening(ILogger logger, string urls);
}
