using System.Runtime.ExceptionServices;
using Dapper;
using DbUp;
using DbUp.Engine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;

namespace PrebuildsMessaging.Core.Database.Migrations;

/// <summary>
/// Applies the service's own schema (sql/migrations/, journaled in prebuilds_messaging.schema_versions by
/// DbUp) and the tables other layers keep in it (<see cref="ISchemaProvisioner"/>, e.g. Quartz's), and on request
/// Coder's development tables (sql/schema/) and the recommended preset index.
/// Replicas that migrate at once take turns on a PostgreSQL advisory lock.
/// </summary>
public sealed partial class DatabaseMigrator(NpgsqlDataSource dataSource, IOptions<PostgresOptions> postgres, IEnumerable<ISchemaProvisioner> provisioners, ILogger<DatabaseMigrator> logger)
{
    public const string Schema = "prebuilds_messaging";
    public const string JournalTable = "schema_versions";

    // An arbitrary constant: the advisory lock key that serializes concurrent migrations.
    private const long AdvisoryLockKey = 0x5072_6562_7569_6c64;

    public async Task MigrateAsync(MigrationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await lockConnection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        try
        {
            // The journal table lives in our schema, so the schema must exist before DbUp looks at it.
            await EnsureSchemaAsync(lockConnection, cancellationToken).ConfigureAwait(false);

            if (request.WithDevSchema)
            {
                LogApplying(logger, "Coder development schema", "sql/schema/");
                Upgrade("sql/schema/");
            }

            LogApplying(logger, "service schema", "sql/migrations/");
            Upgrade("sql/migrations/");
            await EnsureCoderPauseFunctionAsync(lockConnection, cancellationToken).ConfigureAwait(false);

            foreach (var provisioner in provisioners)
            {
                var statements = await provisioner.ProvisionAsync(lockConnection, cancellationToken).ConfigureAwait(false);
                LogProvisioned(logger, provisioner.Description, statements);
            }
        }
        finally
        {
            await lockConnection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: CancellationToken.None)).ConfigureAwait(false);
        }

        if (request.WithRecommendedIndex)
        {
            await CreateRecommendedIndexAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates the schema only when it is missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
    /// when the schema exists, and a least-privilege role owns a schema an administrator created, nothing more.
    /// </summary>
    private static async Task EnsureSchemaAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = @Schema)", new { Schema }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (exists)
        {
            return;
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition($"CREATE SCHEMA {Schema}", cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new SchemaMissingException(
                $"The schema {Schema} does not exist and role {connection.UserName} may not create it (it has no CREATE on database {connection.Database}). " +
                "Have an administrator run sql/roles/least-privilege.sql, which creates the schema owned by the service's role, or grant CREATE on the database.", ex);
        }
    }

    /// <summary>
    /// The function through which the service reads Coder's pause (sql/functions/CoderReconciliationPaused.sql), made
    /// only when it is missing, and only by a role that can read site_configs (it reads with its owner's rights). A
    /// least-privilege role cannot: an administrator makes it with sql/roles/coder-prebuilds-settings.sql.
    /// </summary>
    private async Task EnsureCoderPauseFunctionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var state = await connection.QuerySingleAsync<(bool Exists, bool Coder, bool CanRead)>(new CommandDefinition(
            """
            SELECT to_regprocedure('prebuilds_messaging.coder_reconciliation_paused()') IS NOT NULL,
                   to_regclass('site_configs') IS NOT NULL,
                   to_regclass('site_configs') IS NOT NULL AND has_table_privilege(to_regclass('site_configs'), 'SELECT')
            """, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (state.Exists)
        {
            return;
        }

        if (!state.Coder)
        {
            LogNoSiteConfigs(logger); // no Coder tables here yet: migrate again once Coder has made them
            return;
        }

        if (!state.CanRead)
        {
            throw new SchemaMissingException(
                $"The function {Schema}.coder_reconciliation_paused(), through which the service reads Coder's pause of prebuilds reconciliation, does not exist, " +
                $"and role {connection.UserName} may not read site_configs to create it. Have an administrator run sql/roles/coder-prebuilds-settings.sql " +
                "(part of sql/roles/least-privilege.sql), or run migrate once as the owner of Coder's tables.");
        }

        await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Load("sql/functions/CoderReconciliationPaused.sql"), cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private void Upgrade(string resourcePrefix)
    {
        var upgrader = DeployChanges.To
            // The configured connection string, password included (the data source's own string leaves it out).
            // No schema: DbUp would run CREATE SCHEMA IF NOT EXISTS, which needs CREATE on the database.
            .PostgresqlDatabase(ServiceConnectionString.From(postgres.Value.ConnectionString))
            .WithScriptsEmbeddedInAssembly(typeof(DatabaseMigrator).Assembly, name => name.StartsWith(resourcePrefix, StringComparison.Ordinal))
            .JournalToPostgresqlTable(Schema, JournalTable)
            .WithTransactionPerScript()
            .LogTo(logger)
            .Build();

        DatabaseUpgradeResult result = upgrader.PerformUpgrade();
        if (!result.Successful)
        {
            if (result.Error is NpgsqlException and not PostgresException || result.Error is PostgresException { SqlState: var state } && state.StartsWith("28", StringComparison.Ordinal))
            {
                ExceptionDispatchInfo.Throw(result.Error); // the server unreachable, or the login refused: as every command reports it
            }

            throw new InvalidOperationException(
                $"Migration script '{result.ErrorScript?.Name ?? "(unknown)"}' failed: {result.Error?.Message}", result.Error);
        }

        var applied = result.Scripts.Count();
        LogApplied(logger, applied, resourcePrefix);
    }

    private async Task CreateRecommendedIndexAsync(CancellationToken cancellationToken)
    {
        var state = await new RecommendedIndex(dataSource).ReadStateAsync(cancellationToken).ConfigureAwait(false);
        if (state == RecommendedIndexState.Present)
        {
            LogIndexPresent(logger);
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (state == RecommendedIndexState.Invalid)
        {
            LogIndexInvalid(logger);
            await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Load("sql/optional/DropRecommendedPresetIndex.sql"),
                commandTimeout: 0, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        LogIndexBuilding(logger);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await connection.ExecuteAsync(new CommandDefinition(EmbeddedSql.Load("sql/optional/RecommendedPresetIndex.sql"),
            commandTimeout: 0, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        LogIndexBuilt(logger, seconds);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying the {What} from {ResourcePrefix}")]
    private static partial void LogApplying(ILogger logger, string what, string resourcePrefix);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {ScriptCount} new scripts from {ResourcePrefix}")]
    private static partial void LogApplied(ILogger logger, int scriptCount, string resourcePrefix);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Description} ensured ({StatementCount} idempotent statements)")]
    private static partial void LogProvisioned(ILogger logger, string description, int statementCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Coder's site_configs is not in this database yet, so the function that reads Coder's pause of prebuilds reconciliation was not made; the worker will not start without it: run migrate again once Coder's own migrations have run")]
    private static partial void LogNoSiteConfigs(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "The recommended preset index already exists and is valid")]
    private static partial void LogIndexPresent(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The recommended preset index exists but is invalid (an earlier build failed); dropping it to build it again")]
    private static partial void LogIndexInvalid(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Building the recommended preset index CONCURRENTLY; writes to template_version_presets continue meanwhile")]
    private static partial void LogIndexBuilding(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built the recommended preset index in {Seconds:F1} s")]
    private static partial void LogIndexBuilt(ILogger logger, double seconds);
}
