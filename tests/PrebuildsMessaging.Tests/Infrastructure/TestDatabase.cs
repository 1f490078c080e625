using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Ensure;
using PrebuildsMessaging.Core.Reconciliation;
using PrebuildsMessaging.Core;
using PrebuildsMessaging.Worker;

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

    public StatusQuery StatusQuery(ServiceProvider? services = null) => (services ?? Services()).GetRequiredService<StatusQuery>();

    public PrebuildSetupWriter Writer(ServiceProvider? services = null) => (services ?? Services()).GetRequiredService<PrebuildSetupWriter>();

    /// <summary>The commands a reconciliation of this scope would send now: the status query's incomplete rows, as the consumer reads them.</summary>
    public async Task<List<EnsureOrgPrebuildSetup>> IncompleteAsync(ServiceProvider? services = null, ReconciliationScope? scope = null)
    {
        var commands = new List<EnsureOrgPrebuildSetup>();
        await StatusQuery(services).ReadIncompleteAsync(scope ?? ReconciliationScope.All, Guid.NewGuid(), int.MaxValue, (chunk, _) =>
        {
            commands.AddRange(chunk);
            return Task.CompletedTask;
        }, CancellationToken.None);
        return commands;
    }

    /// <summary>
    /// One pass as the service runs it, without the bus: the status query the reconcile consumer runs, each chunk of
    /// its commands (Bus:CommandChunkSize, 500) handed to the writer the ensure consumer uses.
    /// </summary>
    public async Task<(ReconciliationTally Tally, IReadOnlyList<OrgPrebuildSetupEnsured> Outcomes)> ReconcileOnceAsync(ReconciliationScope? scope = null)
    {
        var services = Services();
        var writer = Writer(services);
        var outcomes = new List<OrgPrebuildSetupEnsured>();
        var tally = await StatusQuery(services).ReadIncompleteAsync(scope ?? ReconciliationScope.All, Guid.NewGuid(), 500, async (chunk, token) =>
        {
            var result = await writer.EnsureAsync(chunk, token);
            Assert.Empty(result.Failures);
            outcomes.AddRange(result.Organizations);
        }, CancellationToken.None);
        return (tally, outcomes);
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
