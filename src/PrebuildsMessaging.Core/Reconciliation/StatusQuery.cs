using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Core.Reconciliation;

/// <summary>
/// Step 2 of the flow: the status query (sql/GetOrganizationsWithPrebuildStatus.sql: one form for some organizations,
/// one for all of them), one statement whatever the number of organizations or presets. Each row is already the command that asks for what it misses: an
/// <see cref="EnsureOrgPrebuildSetup"/> for the configured user and group. A converged database costs this one read.
/// </summary>
public sealed partial class StatusQuery(NpgsqlDataSource dataSource, IOptions<PrebuildsOptions> options, ILogger<StatusQuery> logger)
{
    private const string SqlFile = "Reconciliation/sql/GetOrganizationsWithPrebuildStatus.sql";
    private static readonly string Scoped = EmbeddedSql.Query(SqlFile, "GetOrganizationsWithPrebuildStatus");
    private static readonly string All = EmbeddedSql.Query(SqlFile, "GetAllOrganizationsWithPrebuildStatus");

    /// <summary>True when the membership, the group and the group membership all exist.</summary>
    public static bool IsConverged(EnsureOrgPrebuildSetup row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.HasPrebuildUser && row.PrebuildsGroupId is not null && row.HasPrebuildUserInGroup;
    }

    /// <summary>
    /// A reconciliation's read: the organizations that miss something, handed on a chunk of at most
    /// <paramref name="chunkSize"/> at a time as the rows stream in, as commands of <paramref name="reconciliationId"/>,
    /// so memory stays bounded however many organizations there are. While Coder has paused prebuilds
    /// reconciliation (and Prebuilds:IgnoreCoderPause is off), nothing is handed on: the tally says so, and the
    /// reconciliation that follows the resume does the work.
    /// </summary>
    public async Task<ReconciliationTally> ReadIncompleteAsync(ReconciliationScope scope, Guid reconciliationId, int chunkSize,
        Func<IReadOnlyList<EnsureOrgPrebuildSetup>, CancellationToken, Task> onChunk, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var honourPause = !options.Value.IgnoreCoderPause;
        var checkedCount = 0;
        var incompleteCount = 0;
        var chunk = new List<EnsureOrgPrebuildSetup>(Math.Min(chunkSize, 1024));
        var paused = false;
        await foreach (var row in StreamAsync(scope, reconciliationId, p => paused = p, holdBackWhenPaused: honourPause, cancellationToken).ConfigureAwait(false))
        {
            checkedCount++;
            if (IsConverged(row))
            {
                continue;
            }

            incompleteCount++;
            chunk.Add(row);
            if (chunk.Count >= chunkSize)
            {
                await onChunk(chunk, cancellationToken).ConfigureAwait(false);
                chunk = new List<EnsureOrgPrebuildSetup>(Math.Min(chunkSize, 1024));
            }
        }

        if (chunk.Count > 0)
        {
            await onChunk(chunk, cancellationToken).ConfigureAwait(false);
        }

        LogRead(logger, scope, checkedCount, incompleteCount);
        return new ReconciliationTally(checkedCount, incompleteCount, paused && honourPause);
    }

    /// <summary>`status`: every organization's row, and whether Coder has paused prebuilds reconciliation (never held back).</summary>
    public async Task<StatusReport> ReadAsync(ReconciliationScope scope, CancellationToken cancellationToken)
    {
        var rows = new List<EnsureOrgPrebuildSetup>();
        var paused = false;
        await foreach (var row in StreamAsync(scope, Guid.Empty, p => paused = p, holdBackWhenPaused: false, cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return new StatusReport(paused, rows);
    }

    /// <summary>
    /// The rows as they arrive. Coder's pause, read in the same statement, is handed to <paramref name="pausedByCoder"/>
    /// before the first row; with <paramref name="holdBackWhenPaused"/>, a paused read returns no organization at all.
    /// Read with a plain data reader: Dapper's unbuffered reader cancels the command when it is done (a cancel request
    /// on a new connection), which cost more than the query.
    /// </summary>
    private async IAsyncEnumerable<EnsureOrgPrebuildSetup> StreamAsync(ReconciliationScope scope, Guid reconciliationId, Action<bool> pausedByCoder,
        bool holdBackWhenPaused, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var prebuilds = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(scope.IsAll ? All : Scoped, connection);
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
            // reconciliation_paused, organization_id, organization_name, has_prebuild_user, prebuilds_group_id,
            // has_prebuild_user_in_group: organization columns NULL when there is no organization to report.
            if (first)
            {
                pausedByCoder(reader.GetBoolean(0));
                first = false;
            }

            if (reader.IsDBNull(1))
            {
                continue;
            }

            yield return new EnsureOrgPrebuildSetup
            {
                OrganizationId = reader.GetGuid(1),
                OrganizationName = reader.GetString(2),
                UserId = prebuilds.UserId,
                GroupName = prebuilds.GroupName,
                HasPrebuildUser = reader.GetBoolean(3),
                PrebuildsGroupId = reader.IsDBNull(4) ? null : reader.GetGuid(4),
                HasPrebuildUserInGroup = reader.GetBoolean(5),
                ReconciliationId = reconciliationId,
            };
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status query for scope {Scope}: {OrganizationsChecked} organizations with prebuilds, {OrganizationsIncomplete} need setup")]
    private static partial void LogRead(ILogger logger, ReconciliationScope scope, int organizationsChecked, int organizationsIncomplete);
}

/// <summary>What one status query counted: the organizations it checked, and how many of them miss something; or that Coder's pause held it back.</summary>
public sealed record ReconciliationTally(int OrganizationsChecked, int OrganizationsIncomplete, bool PausedByCoder = false);
