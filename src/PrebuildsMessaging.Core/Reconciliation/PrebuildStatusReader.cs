using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Database;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>Runs the status query (GetAllOrganizationsWithPrebuildStatus or GetOrganizationsWithPrebuildStatus): one statement, whatever the number of presets.</summary>
public sealed class PrebuildStatusReader(NpgsqlDataSource dataSource, IOptions<PrebuildsOptions> options)
{
    public async Task<PrebuildStatusReport> ReadAsync(ReconciliationScope scope, CancellationToken cancellationToken)
    {
        var statuses = new List<OrganizationPrebuildStatus>();
        var paused = false;
        await foreach (var status in StreamAsync(scope, p => paused = p, holdBackWhenPaused: false, cancellationToken).ConfigureAwait(false))
        {
            statuses.Add(status);
        }

        return new PrebuildStatusReport(paused, statuses);
    }

    /// <summary>
    /// The rows as they arrive, without holding them all: one statement, however many organizations. Coder's pause,
    /// read in the same statement, is handed to <paramref name="pausedByCoder"/> once, before the first row; with
    /// <paramref name="holdBackWhenPaused"/>, a paused read returns no organization at all.
    /// </summary>
    public async IAsyncEnumerable<OrganizationPrebuildStatus> StreamAsync(ReconciliationScope scope, Action<bool> pausedByCoder, bool holdBackWhenPaused,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pausedByCoder);
        ArgumentNullException.ThrowIfNull(scope);
        var prebuilds = options.Value;

        // Every organization: driven from the presets that ask for prebuilds. Some: a semi-join per organization,
        // which stops at its first such preset. Read with a plain data reader: Dapper's unbuffered reader cancels
        // the command when it is done (a cancel request on a new connection), which cost more than the query.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(scope.IsAll ? Queries.GetAllOrganizationsWithPrebuildStatus : Queries.GetOrganizationsWithPrebuildStatus, connection);
        command.Parameters.Add(new NpgsqlParameter("UserId", NpgsqlDbType.Uuid) { Value = prebuilds.UserId });
        command.Parameters.Add(new NpgsqlParameter("GroupName", NpgsqlDbType.Text) { Value = prebuilds.GroupName });
        command.Parameters.Add(new NpgsqlParameter("HoldBackWhenPaused", NpgsqlDbType.Boolean) { Value = holdBackWhenPaused });
        if (!scope.IsAll)
        {
            command.Parameters.Add(new NpgsqlParameter("OrganizationIds", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = scope.OrganizationIds!.ToArray() });
        }

        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false);
        var first = true;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Both queries return reconciliation_paused, organization_id, organization_name, has_prebuild_user,
            // prebuilds_group_id, has_prebuild_user_in_group, in that order; at least one row, whose organization
            // columns are NULL when no organization has prebuild presets.
            if (first)
            {
                pausedByCoder(reader.GetBoolean(0));
                first = false;
            }

            if (reader.IsDBNull(1))
            {
                continue;
            }

            yield return new OrganizationPrebuildStatus(
                reader.GetGuid(1),
                reader.GetString(2),
                reader.GetBoolean(3),
                reader.IsDBNull(4) ? null : reader.GetGuid(4),
                reader.GetBoolean(5));
        }
    }
}
