using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Core.Configuration;
using PrebuildsMessaging.Core.Database;

namespace PrebuildsMessaging.Core.Ensure;

/// <summary>
/// Step 4 of the flow, the one writer: what a batch of <see cref="EnsureOrgPrebuildSetup"/> commands says is
/// missing, written by one statement (sql/EnsurePrebuildSetups.sql) that also reads Coder's pause first. Rows
/// already there are skipped and counted as tolerated unique violations, so duplicates, replays and concurrent
/// writers are safe. A batch of one is the same statement for one organization; that is how the cases only one
/// organization can tell apart are found when the statement fails for a batch:
/// <list type="bullet">
/// <item>the organization is gone (a foreign key, or the statement finds no row of it): outcome organization-gone;</item>
/// <item>the organization can no longer use the setup (deleted, or every template of it deleted): outcome not-needed,
/// nothing written;</item>
/// <item>its group vanished after the read: the group is created again, once;</item>
/// <item>the prebuilds user is missing: <see cref="PrebuildsUserMissingException"/> for the whole batch;</item>
/// <item>any other error of its own (a row refused): that organization fails alone. When every organization fails
/// with the batch's error, the error concerns them all and is thrown as it is.</item>
/// </list>
/// </summary>
public sealed class PrebuildSetupWriter(NpgsqlDataSource dataSource, IOptions<PrebuildsOptions> options, TimeProvider timeProvider)
{
    private static readonly string Sql = EmbeddedSql.Load("Ensure/sql/EnsurePrebuildSetups.sql");

    // A group another writer created after our statement began is looked for again; one deleted again meanwhile is recreated.
    private const int Attempts = 3;

    public async Task<EnsureResult> EnsureAsync(IReadOnlyCollection<EnsureOrgPrebuildSetup> commands, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(commands);
        var organizations = commands.GroupBy(c => c.OrganizationId).Select(g => new Organization(g.ToList())).ToList();
        var failures = new List<OrganizationFailure>();
        bool? paused = null;
        var setWise = true;
        PostgresException? batchError = null;
        try
        {
            paused = await WriteAsync(organizations, cancellationToken).ConfigureAwait(false) ?? paused;
        }
        catch (PostgresException ex) when (IsOneOrganizations(ex) && organizations.Count > 1)
        {
            setWise = false; // some organization or group went away since the read, or refuses a row: find out which, one at a time
            batchError = ex;
        }
        catch (PrebuildsGroupVanishedException) when (organizations.Count > 1)
        {
            setWise = false; // one organization's group keeps vanishing: it fails alone
        }

        if (!setWise)
        {
            foreach (var organization in organizations)
            {
                try
                {
                    paused = await WriteAsync([organization], cancellationToken).ConfigureAwait(false) ?? paused;
                }
                catch (PostgresException ex) when (IsOneOrganizations(ex))
                {
                    failures.Add(new OrganizationFailure(organization.Id, ex));
                }
                catch (PrebuildsGroupVanishedException ex)
                {
                    failures.Add(new OrganizationFailure(organization.Id, ex));
                }
            }

            if (batchError is not null && failures.Count == organizations.Count
                && failures.TrueForAll(f => f.Error is PostgresException { SqlState: var state } && state == batchError.SqlState))
            {
                ExceptionDispatchInfo.Throw(batchError); // not one organization's: all of theirs
            }
        }

        var failed = failures.Select(f => f.OrganizationId).ToHashSet();
        var entries = organizations.Where(o => !failed.Contains(o.Id)).SelectMany(o => o.Entries()).ToList();
        return new EnsureResult(entries, failures, setWise, options.Value.IgnoreCoderPause ? null : paused);
    }

    /// <summary>An error one organization can cause, which the others of its batch must not share (not the database's, not the missing user's).</summary>
    private static bool IsOneOrganizations(PostgresException error) => !error.IsTransient && CoderForeignKeys.MissingRow(error.ConstraintName) != MissingRow.User;

    /// <summary>
    /// Runs the statement until every organization has its rows, is gone, or Coder's pause holds it back; returns what
    /// the last statement read of the pause, or null when every organization was finished already and none ran.
    /// </summary>
    private async Task<bool?> WriteAsync(IReadOnlyList<Organization> organizations, CancellationToken cancellationToken)
    {
        var pending = organizations.Where(o => o.Result is null).ToList();
        bool? paused = null;
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            if (attempt > Attempts)
            {
                throw new PrebuildsGroupVanishedException(pending[0].Id, options.Value.GroupName);
            }

            var rows = await RunAsync(pending, cancellationToken).ConfigureAwait(false);
            paused = rows.Paused;
            foreach (var organization in pending)
            {
                if (rows.Paused)
                {
                    organization.Result = EnsureOutcomes.Paused;
                }
                else if (rows.Written.TryGetValue(organization.Id, out var written))
                {
                    organization.Apply(written);
                }
            }

            pending = pending.Where(o => o.Result is null).ToList();
        }

        return paused;
    }

    private async Task<(bool Paused, Dictionary<Guid, Written> Written)> RunAsync(List<Organization> organizations, CancellationToken cancellationToken)
    {
        var prebuilds = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter("HonourPause", NpgsqlDbType.Boolean) { Value = !prebuilds.IgnoreCoderPause });
        command.Parameters.Add(new NpgsqlParameter("OrganizationIds", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = organizations.Select(o => o.Id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("HasPrebuildUser", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = organizations.Select(o => o.HasMembership).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("PrebuildsGroupIds", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = organizations.Select(o => o.GroupId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("HasPrebuildUserInGroup", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = organizations.Select(o => o.HasGroupMembership).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("NewGroupIds", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = organizations.Select(_ => Guid.NewGuid()).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("UserId", NpgsqlDbType.Uuid) { Value = prebuilds.UserId });
        command.Parameters.Add(new NpgsqlParameter("Now", NpgsqlDbType.TimestampTz) { Value = timeProvider.GetUtcNow() });
        command.Parameters.Add(new NpgsqlParameter("GroupName", NpgsqlDbType.Text) { Value = prebuilds.GroupName });
        command.Parameters.Add(new NpgsqlParameter("GroupDisplayName", NpgsqlDbType.Text) { Value = prebuilds.GroupDisplayName });

        var written = new Dictionary<Guid, Written>(organizations.Count);
        var paused = false;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                paused = reader.GetBoolean(0);
                if (reader.IsDBNull(1))
                {
                    continue;
                }

                written[reader.GetGuid(1)] = new Written(
                    NeededMembership: reader.GetBoolean(2), MembershipCreated: reader.GetBoolean(3),
                    NeededGroup: reader.GetBoolean(4), GroupCreated: reader.GetBoolean(5), GroupId: reader.IsDBNull(6) ? null : reader.GetGuid(6),
                    NeededGroupMembership: reader.GetBoolean(7), GroupMembershipCreated: reader.GetBoolean(8),
                    StillNeeded: reader.GetBoolean(9), OrganizationExists: reader.GetBoolean(10));
            }
        }
        catch (PostgresException ex) when (organizations.Count == 1 && CoderForeignKeys.MissingRow(ex.ConstraintName) is { } missing && missing != MissingRow.User)
        {
            // One organization: the foreign key says which row went away since the read.
            organizations[0].Missing(missing);
            return (false, written);
        }
        catch (PostgresException ex) when (CoderForeignKeys.MissingRow(ex.ConstraintName) == MissingRow.User)
        {
            throw new PrebuildsUserMissingException(prebuilds.UserId, ex);
        }

        return (paused, written);
    }

    /// <summary>What one run of the statement wrote for one organization.</summary>
    private readonly record struct Written(bool NeededMembership, bool MembershipCreated, bool NeededGroup, bool GroupCreated, Guid? GroupId,
        bool NeededGroupMembership, bool GroupMembershipCreated, bool StillNeeded, bool OrganizationExists);

    /// <summary>One organization of the batch: what is still missing, what was written for it, and the commands that asked.</summary>
    private sealed class Organization
    {
        private readonly List<EnsureOrgPrebuildSetup> commands;
        private bool membershipCreated;
        private bool groupCreated;
        private bool groupMembershipCreated;
        private int alreadyThere;

        /// <summary>Two commands for one organization: whatever either says is missing is written.</summary>
        public Organization(List<EnsureOrgPrebuildSetup> commands)
        {
            this.commands = commands;
            Id = commands[0].OrganizationId;
            var groupIds = commands.Select(c => c.PrebuildsGroupId).Distinct().ToList();
            HasMembership = commands.TrueForAll(c => c.HasPrebuildUser);
            GroupId = groupIds.Count == 1 ? groupIds[0] : null;
            HasGroupMembership = GroupId is not null && commands.TrueForAll(c => c.HasPrebuildUserInGroup);
        }

        public Guid Id { get; }
        public bool HasMembership { get; private set; }
        public Guid? GroupId { get; private set; }
        public bool HasGroupMembership { get; private set; }

        /// <summary>One of <see cref="EnsureOutcomes"/> once finished; null while rows are left to write.</summary>
        public string? Result { get; set; }

        public void Apply(Written written)
        {
            if (!written.StillNeeded)
            {
                Result = written.OrganizationExists ? EnsureOutcomes.NotNeeded : EnsureOutcomes.OrganizationGone;
                return;
            }

            HasMembership = true;
            membershipCreated |= written.MembershipCreated;
            alreadyThere += written.NeededMembership && !written.MembershipCreated ? 1 : 0;
            groupCreated |= written.GroupCreated;
            alreadyThere += written.NeededGroup && written.GroupId is not null && !written.GroupCreated ? 1 : 0;
            if (written.GroupId is null)
            {
                return; // another writer's group, committed after the statement began: the next run sees it
            }

            GroupId = written.GroupId;
            HasGroupMembership = true;
            groupMembershipCreated |= written.GroupMembershipCreated;
            alreadyThere += written.NeededGroupMembership && !written.GroupMembershipCreated ? 1 : 0;
            Result = EnsureOutcomes.Ensured;
        }

        public void Missing(MissingRow missing)
        {
            if (missing == MissingRow.Organization)
            {
                Result = EnsureOutcomes.OrganizationGone;
            }
            else
            {
                GroupId = null; // the group vanished since the read: created again
                HasGroupMembership = false;
            }
        }

        /// <summary>
        /// One entry per command. A second command for the organization in this batch is answered by the first
        /// one's writes.
        /// </summary>
        public IEnumerable<OrgPrebuildSetupEnsured> Entries() => commands.Select((command, i) => new OrgPrebuildSetupEnsured
        {
            OrganizationId = Id,
            ReconciliationId = command.ReconciliationId,
            MembershipCreated = i == 0 && membershipCreated,
            GroupCreated = i == 0 && groupCreated,
            GroupMembershipCreated = i == 0 && groupMembershipCreated,
            UniqueViolationsTolerated = i == 0 ? alreadyThere : 0,
            Outcome = Result ?? EnsureOutcomes.Ensured,
        });
    }
}
