using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Database.Migrations;

namespace PrebuildsMessaging.Worker.Schedule;

/// <summary>
/// Quartz's tables, in our schema. `migrate` runs the PostgreSQL DDL that the Quartz package itself ships
/// (every statement CREATE ... IF NOT EXISTS), so the tables always match the Quartz version in use; the
/// worker only validates them.
/// </summary>
public sealed class QuartzSchema : ISchemaProvisioner
{
    public const string TablePrefix = "prebuilds_messaging.qrtz_";
    private const string UnqualifiedPrefix = "qrtz_";
    private const string Resource = "Quartz.Impl.AdoJobStore.Schema.create_postgres.sql";

    public string Description => $"Quartz scheduler tables ({TablePrefix}*)";

    public async Task<int> ProvisionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var stream = typeof(Quartz.IJob).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The Quartz package no longer ships {Resource}; Quartz's tables cannot be provisioned.");
        using var reader = new StreamReader(stream);
        var script = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var executed = 0;
        // Statements are separated by a line reading exactly "--;;" (the script's own header says so).
        foreach (var statement in System.Text.RegularExpressions.Regex.Split(script, @"^--;;\s*$", System.Text.RegularExpressions.RegexOptions.Multiline))
        {
            if (statement.Split('\n').All(line => string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith("--", StringComparison.Ordinal)))
            {
                continue; // a comment-only piece
            }

            var sql = statement.Replace("{0}", TablePrefix, StringComparison.Ordinal).Replace("{1}", UnqualifiedPrefix, StringComparison.Ordinal);
            await connection.ExecuteAsync(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
            executed++;
        }

        // The stored job names its class: one stored by a version before the job moved to this namespace is pointed at it.
        await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE {TablePrefix}job_details SET job_class_name = @JobClass WHERE job_class_name LIKE 'PrebuildsMessaging.Scheduling.ReconcileScheduleJob,%'",
            new { JobClass = $"{typeof(ReconciliationScheduleJob).FullName}, {typeof(ReconciliationScheduleJob).Assembly.GetName().Name}" },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return executed + 1;
    }
}
