using Npgsql;

namespace PrebuildsMessaging.Core.Database.Migrations;

/// <summary>
/// Tables that another layer keeps in the service's own schema (e.g. the scheduler's), created by `migrate` after
/// the service's migrations, under the same advisory lock. Every statement must be idempotent.
/// </summary>
public interface ISchemaProvisioner
{
    /// <summary>What it provisions, for the log line.</summary>
    string Description { get; }

    /// <summary>Runs its statements on the migration's connection; returns how many it ran.</summary>
    Task<int> ProvisionAsync(NpgsqlConnection connection, CancellationToken cancellationToken);
}
