using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace PrebuildsMessaging.Observability;

public static class ObservabilityServiceCollectionExtensions
{
    /// <summary>The PrebuildsMessaging meter, which the consumers record into.</summary>
    public static IServiceCollection AddPrebuildsMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<PrebuildsMetrics>();
        return services;
    }

    /// <summary>The service's meters (and MassTransit's), health checks, the recommended index's watch, and the optional listener that serves them.</summary>
    public static IServiceCollection AddPrebuildsObservability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPrebuildsMetrics();
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PrebuildsMetrics.MeterName, "MassTransit")
            .AddPrometheusExporter());
        services.AddHostedService<RecommendedIndexMonitor>();
        services.AddHostedService<ChangeFeedLagMonitor>();
        services.AddHostedService<ObservabilityServer>();
        return services;
    }
}
