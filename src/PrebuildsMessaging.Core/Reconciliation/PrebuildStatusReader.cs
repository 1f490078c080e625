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
    public async Task<IReadOnlyList<OrganizationPrebuildStatus>> ReadAsync(ReconciliationScope scope, CancellationToken cancellationToken)
    {
        var statuses = new List<OrganizationPrebuildStatus>();
        await foreach (var status in StreamAsync(scope, cancellationToken).ConfigureAwait(false))
        {
            statuses.Add(status);
        }

        return statuses;
    }

    /// <summary>The rows as they arrive, without holding them all: one statement, however many organizations.</summary>
    public async IAsyncEnumerable<OrganizationPrebuildStatus> StreamAsync(ReconciliationScope scope, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var prebuilds = options.Value;

        // Every organization: driven from the presets that ask for prebuilds. Some: a semi-join per organization,
        // which stops at its first such preset. Read with a plain data reader: Dapper's unbuffered reader cancels
        // the command when it is done (a cancel request on a new connection), which cost more than the query.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(scope.IsAll ? Queries.GetAllOrganizationsWithPrebuildStatus : Queries.GetOrganizationsWithPrebuildStatus, connection);
        command.Parameters.Add(new NpgsqlParameter("UserId", NpgsqlDbType.Uuid) { Value = prebuilds.UserId });
        command.Parameters.Add(new NpgsqlParameter("GroupName", NpgsqlDbType.Text) { Value = prebuilds.GroupName });
        if (!scope.IsAll)
        {
            command.Parameters.Add(new NpgsqlParameter("OrganizationIds", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = scope.OrganizationIds!.ToArray() });
        }

        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Both queries return organization_id, organization_name, has_prebuild_user, prebuilds_group_id,
            // has_prebuild_user_in_group, in that order.
            yield return new OrganizationPrebuildStatus(
                reader.GetGuid(0),
                reader.GetString(1),
                reader.GetBoolean(2),
                reader.IsDBNull(3) ? null : reader.GetGuid(3),
                reader.GetBoolean(4));
        }
    }
}
