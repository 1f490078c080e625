using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Hosting;
using PrebuildsMessaging.Reconciliation;
using PrebuildsMessaging.Scheduling;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>One test's own database (a copy of the migrated template) and the service's core wired to it.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public static readonly DateTimeOffset FixedNow = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private readonly PostgresServer server;
    private readonly List<ServiceProvider> providers = [];

    internal TestDatabase(PostgresServer server, string name, string connectionString)
    {
        this.server = server;
        Name = name;
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
        Seed = new CoderSeed(DataSource);
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }
    public CoderSeed Seed { get; }
    public FakeTimeProvider Time { get; } = new(FixedNow);
    public Guid PrebuildsUserId => PrebuildsOptions.CoderPrebuildsUserId;

    /// <summary>The service's core, configured as in production but for this database; settings override appsettings keys.</summary>
    public ServiceProvider Services(IDictionary<string, string?>? settings = null)
    {
        var values = TestSettings.Merge(new() { ["ConnectionStrings:Postgres"] = ConnectionString }, settings);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(Time)
            .AddPrebuildsCore(configuration)
            .AddQuartzSchema() // as `migrate` has it
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        providers.Add(provider);
        return provider;
    }

    public ReconciliationPlanner Planner(ServiceProvider? services = null) => (services ?? Services()).GetRequiredService<ReconciliationPlanner>();

    public OrgPrebuildSetupEnsurer Ensurer(ServiceProvider? services = null) => (services ?? Services()).GetRequiredService<OrgPrebuildSetupEnsurer>();

    public OrgPrebuildSetupBatchEnsurer BatchEnsurer(ServiceProvider? services = null) => (services ?? Services()).GetRequiredService<OrgPrebuildSetupBatchEnsurer>();

    /// <summary>One full pass as the service runs it: the status query, then an ensure per incomplete organization.</summary>
    public async Task<(ReconciliationPlan Plan, IReadOnlyList<OrgSetupOutcome> Outcomes)> ReconcileOnceAsync(ReconciliationScope? scope = null)
    {
        var services = Services();
        var plan = await Planner(services).PlanAsync(scope ?? ReconciliationScope.All, CancellationToken.None);
        var outcomes = new List<OrgSetupOutcome>();
        foreach (var status in plan.Incomplete)
        {
            outcomes.Add(await Ensurer(services).EnsureAsync(status, CancellationToken.None));
        }

        return (plan, outcomes);
    }

    /// <summary>Runs one statement; returns the rows it changed.</summary>
    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.ExecuteAsync(sql, parameters);
    }

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<T>(sql, parameters) ?? throw new InvalidOperationException("no value");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in providers)
        {
            await provider.DisposeAsync();
        }

        await DataSource.DisposeAsync();
        await server.DropDatabaseAsync(Name);
    }
}
