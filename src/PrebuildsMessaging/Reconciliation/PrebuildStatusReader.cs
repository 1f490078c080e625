using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Database;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>Runs GetOrganizationsWithPrebuildStatus: one statement, whatever the number of presets.</summary>
public sealed class PrebuildStatusReader(NpgsqlDataSource dataSource, IOptions<PrebuildsOptions> options)
{
    public async Task<IReadOnlyList<OrganizationPrebuildStatus>> ReadAsync(ReconciliationScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var prebuilds = options.Value;
        var parameters = new
        {
            prebuilds.UserId,
            prebuilds.GroupName,
            OrganizationIds = scope.OrganizationIds?.ToArray(),
        };

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<StatusRow>(new CommandDefinition(
            Queries.GetOrganizationsWithPrebuildStatus, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => new OrganizationPrebuildStatus(
            r.organization_id, r.organization_name, r.has_prebuild_user, r.prebuilds_group_id, r.has_prebuild_user_in_group)).ToList();
    }

#pragma warning disable IDE1006, CA1812 // Dapper fills this row by the query's column names.
    private sealed class StatusRow
    {
        public Guid organization_id { get; init; }
        public string organization_name { get; init; } = "";
        public bool has_prebuild_user { get; init; }
        public Guid? prebuilds_group_id { get; init; }
        public bool has_prebuild_user_in_group { get; init; }
    }
#pragma warning restore IDE1006, CA1812
}
