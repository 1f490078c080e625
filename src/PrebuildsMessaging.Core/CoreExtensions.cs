using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Core.ChangeFeed;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;
using PrebuildsMessaging.Core.Database;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Core.Pause;
using PrebuildsMessaging.Core.Reconciliation;

namespace PrebuildsMessaging.Core;

public static class CoreExtensions
{
    /// <summary>
    /// The core, with no bus, scheduler or web server: every service it registers, listed here.
    /// </summary>
    public static IServiceCollection AddPrebuildsCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        // Options, validated at start: ConnectionStrings:Postgres, Prebuilds, ChangeFeed.
        services.AddOptions<PostgresOptions>()
            .Configure(o => o.ConnectionString = configuration.GetConnectionString(PostgresOptions.ConnectionStringName) ?? "")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PostgresOptions>, PostgresOptionsValidator>();
        services.AddOptions<PrebuildsOptions>().Bind(configuration.GetSection(PrebuildsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrebuildsOptions>, PrebuildsOptionsValidator>();
        services.AddOptions<ChangeFeedOptions>().Bind(configuration.GetSection(ChangeFeedOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChangeFeedOptions>, ChangeFeedOptionsValidator>();

        // The clock, and the PostgreSQL pool every query uses.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            var builder = new NpgsqlDataSourceBuilder(ServiceConnectionString.From(sp.GetRequiredService<IOptions<PostgresOptions>>().Value.ConnectionString));
            builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
            return builder.Build();
        });

        // Reconciliation: the status query, and the reads that already answer a request.
        services.TryAddSingleton<StatusQuery>();
        services.TryAddSingleton<ReconciliationCoverage>();

        // Ensure: the one writer.
        services.TryAddSingleton<PrebuildSetupWriter>();

        // Coder's pause, read on its own while it holds the service back.
        services.TryAddSingleton<CoderPause>();

        // The change feed's publication, slot and replicas as the database sees them, and the transactions it decodes.
        services.TryAddSingleton<ChangeFeedSetup>();
        services.TryAddSingleton<ChangeFeedSlot>();
        services.TryAddSingleton<ChangeFeedReplicas>();
        services.TryAddSingleton<ChangeFeedTransactions>();

        // `migrate`, the recommended index's state, and `seed-demo`.
        services.TryAddSingleton<DatabaseMigrator>();
        services.TryAddSingleton<RecommendedIndex>();
        services.TryAddSingleton<DemoData>();
        return services;
    }
}
