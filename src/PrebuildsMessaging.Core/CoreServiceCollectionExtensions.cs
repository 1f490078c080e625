using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Database;
using PrebuildsMessaging.Database.Migrations;
using PrebuildsMessaging.Reconciliation;

namespace PrebuildsMessaging.Hosting;

public static class CoreServiceCollectionExtensions
{
    /// <summary>
    /// The transport-agnostic core: options, the PostgreSQL data source, the status reader, the planner, the
    /// coverage, the ensurers, the recommended index's state, the migrator, the change feed's set-up and the demo data.
    /// </summary>
    public static IServiceCollection AddPrebuildsCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<PostgresOptions>()
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(PostgresOptions.ConnectionStringName) ?? "")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PostgresOptions>, PostgresOptionsValidator>();

        services.AddOptions<PrebuildsOptions>()
            .Bind(configuration.GetSection(PrebuildsOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrebuildsOptions>, PrebuildsOptionsValidator>();

        services.AddOptions<ChangeFeedOptions>().Bind(configuration.GetSection(ChangeFeedOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChangeFeedOptions>, ChangeFeedOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(ServiceConnectionString.From(sp.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString));
            builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return builder.Build();
        });

        services.TryAddSingleton<PrebuildStatusReader>();
        services.TryAddSingleton<CoderPause>();
        services.TryAddSingleton<ReconciliationPlanner>();
        services.TryAddSingleton<ReconciliationCoverage>();
        services.TryAddSingleton<OrgPrebuildSetupEnsurer>();
        services.TryAddSingleton<OrgPrebuildSetupBatchEnsurer>();
        services.TryAddSingleton<RecommendedIndex>();
        services.TryAddSingleton<DatabaseMigrator>();
        services.TryAddSingleton<ChangeFeedSetup>();
        services.TryAddSingleton<PrebuildsMessaging.ChangeFeed.ChangeFeedSlot>();
        services.TryAddSingleton<PrebuildsMessaging.ChangeFeed.ChangeFeedReplicas>();
        services.TryAddSingleton<DemoData>();
        return services;
    }
}
