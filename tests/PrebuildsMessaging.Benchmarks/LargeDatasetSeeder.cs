using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database.Migrations;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>Creates the benchmark database with Coder's schema and fills it, printing progress.</summary>
internal static class LargeDatasetSeeder
{
    public static async Task<string> EnsureAsync(BenchmarkSettings settings)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(settings.AdminConnectionString) { Database = settings.Database }.ConnectionString;
        await using (var admin = new NpgsqlConnection(settings.AdminConnectionString))
        {
            await admin.OpenAsync();
            var exists = await admin.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = @db)", new { db = settings.Database });
            if (exists && !settings.Reseed)
            {
                Console.WriteLine($"Reusing database {settings.Database} (pass --reseed to rebuild it).");
                return connectionString;
            }

            if (exists)
            {
                await admin.ExecuteAsync($"DROP DATABASE {settings.Database} WITH (FORCE)");
            }

            await admin.ExecuteAsync($"CREATE DATABASE {settings.Database}");
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await new DatabaseMigrator(dataSource, Microsoft.Extensions.Options.Options.Create(new PostgresOptions { ConnectionString = connectionString }), [], NullLogger<DatabaseMigrator>.Instance)
            .MigrateAsync(new MigrationRequest(WithDevSchema: true), CancellationToken.None);

        await SeedAsync(dataSource, settings.Organizations, settings.Templates, settings.Versions, settings.Presets, settings.PrebuildEvery);
        await using var connection = await dataSource.OpenConnectionAsync();
        Console.WriteLine("ANALYZE");
        await connection.ExecuteAsync("ANALYZE", commandTimeout: 0, commandType: System.Data.CommandType.Text);
        return connectionString;
    }

    /// <summary>Organizations named bench-org-NNNNN, each with templates × versions × presets, printing progress.</summary>
    public static async Task SeedAsync(NpgsqlDataSource dataSource, int organizations, int templates, int versions, int presets, int prebuildEvery)
    {
        Console.WriteLine($"Seeding {organizations} organizations × {templates} templates × {versions} versions × {presets} presets = {(long)organizations * templates * versions * presets:N0} presets");
        var started = Stopwatch.StartNew();
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(BenchmarkSql.Load("SeedOrganizations"), new { Organizations = organizations });
        var ids = (await connection.QueryAsync<Guid>("SELECT id FROM organizations WHERE name LIKE 'bench-org-%' ORDER BY name")).ToList();
        var seedPresets = BenchmarkSql.Load("SeedOrganizationPresets");
        for (var i = 0; i < ids.Count; i++)
        {
            // Every fifth organization has presets but none that asks for prebuilds.
            await connection.ExecuteAsync(seedPresets, new
            {
                OrganizationId = ids[i],
                Templates = templates,
                Versions = versions,
                Presets = presets,
                WithPrebuilds = i % 5 != 4,
                PrebuildEvery = prebuildEvery,
            }, commandTimeout: 0);
            if ((i + 1) % Math.Max(1, ids.Count / 10) == 0 || i + 1 == ids.Count)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {i + 1}/{ids.Count} organizations seeded ({(i + 1) * 100 / ids.Count}%), {started.Elapsed.TotalSeconds:F0} s"));
            }
        }
    }
}
