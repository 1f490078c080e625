using System.Runtime.CompilerServices;
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
        var parameters = new
        {
            prebuilds.UserId,
            prebuilds.GroupName,
            OrganizationIds = scope.OrganizationIds?.ToArray(),
        };


        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // Every organization: driven from the presets that ask for prebuilds. Some: a semi-join per organization,
        // which stops at its first such preset.
        var query = scope.IsAll ? Queries.GetAllOrganizationsWithPrebuildStatus : Queries.GetOrganizationsWithPrebuildStatus;
        await foreach (var r in connection.QueryUnbufferedAsync<StatusRow>(query, parameters)
                           .WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return new OrganizationPrebuildStatus(r.organization_id, r.organization_name, r.has_prebuild_user, r.prebuilds_group_id, r.has_prebuild_user_in_group);
        }
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
