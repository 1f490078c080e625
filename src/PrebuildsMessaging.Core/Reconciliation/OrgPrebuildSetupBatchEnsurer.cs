using Dapper;
using Npgsql;
using Microsoft.Extensions.Options;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Database;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>
/// Ensures many organizations' prebuilds setup at once, from their status snapshots: one set-wise statement
/// per kind of row (memberships, groups, group memberships), each writing only what the snapshots say is
/// missing. Rows already there are skipped and counted as tolerated unique violations, so concurrent writers
/// and duplicates are safe. An error a set statement cannot pin on one organization (a foreign-key violation,
/// or any other error the server reports that is not transient) sends the organizations still unfinished one
/// at a time through <see cref="OrgPrebuildSetupEnsurer"/>, which tells a deleted organization, a deleted group
/// and a missing user apart, and lets the organization that fails on its own fail alone. When every one of them
/// fails with the set statement's error, that error concerns them all and is thrown as it is.
/// </summary>
public sealed class OrgPrebuildSetupBatchEnsurer(
    NpgsqlDataSource dataSource,
    OrgPrebuildSetupEnsurer singleEnsurer,
    CoderPause coderPause,
    IOptions<PrebuildsOptions> options,
    TimeProvider timeProvider)
{
    public async Task<BatchEnsureResult> EnsureAsync(IEnumerable<OrganizationPrebuildStatus> statuses, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var writes = statuses.GroupBy(s => s.OrganizationId).Select(g => new OrganizationWrite(MergeSnapshots(g))).ToList();
        var prebuilds = options.Value;

        var allSetWise = true;
        PostgresException? setWiseError = null;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        {
            // Coder's pause, read first on the connection the writes use: while it is on, nothing is written.
            if (!prebuilds.IgnoreCoderPause && await CoderPause.ReadAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                return new BatchEnsureResult([.. writes.Select(w => w.Outcome(OrgSetupResult.Paused, w.GroupId))], [], SetWise: true, PausedByCoder: true);
            }

            try
            {
                await InsertMembershipsAsync(connection, writes, prebuilds, cancellationToken).ConfigureAwait(false);
                await InsertGroupsAsync(connection, writes, prebuilds, cancellationToken).ConfigureAwait(false);
                await InsertGroupMembershipsAsync(connection, writes, prebuilds, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == Database.PostgresErrorCodes.ForeignKeyViolation
                                               && CoderForeignKeys.MissingRow(ex.ConstraintName) is InsertResult.OrganizationMissing or InsertResult.GroupMissing)
            {
                allSetWise = false; // some organization or group went away since the status read
            }
            catch (PostgresException ex) when (ex.SqlState == Database.PostgresErrorCodes.ForeignKeyViolation
                                               && CoderForeignKeys.MissingRow(ex.ConstraintName) is InsertResult.UserMissing)
            {
                throw new PrebuildsUserMissingException(prebuilds.UserId);
            }
            catch (PostgresException ex) when (!ex.IsTransient && writes.Count > 1)
            {
                allSetWise = false; // maybe one organization's row is refused: find out which, one at a time
                setWiseError = ex;
            }
        }

        var outcomes = new List<OrgSetupOutcome>(writes.Count);
        var failures = new List<OrganizationFailure>();

        // One organization at a time is many statements: a pause Coder wrote since the batch began holds them back.
        var pausedSince = !prebuilds.IgnoreCoderPause && writes.Exists(w => !(allSetWise && w.IsDone))
                          && await coderPause.ReadAsync(cancellationToken).ConfigureAwait(false);
        var pausedByCoder = prebuilds.IgnoreCoderPause ? (bool?)null : pausedSince;
        foreach (var write in writes)
        {
            if (allSetWise && write.IsDone)
            {
                outcomes.Add(write.Outcome(OrgSetupResult.Ensured, write.GroupId));
                continue;
            }

            if (pausedSince)
            {
                outcomes.Add(write.Outcome(OrgSetupResult.Paused, write.GroupId));
                continue;
            }

            try
            {
                var rest = await singleEnsurer.EnsureAsync(write.Remaining, cancellationToken).ConfigureAwait(false);
                outcomes.Add(write.Combine(rest));
            }
            catch (Exception ex) when (ex is not PrebuildsUserMissingException and not OperationCanceledException and not NpgsqlException { IsTransient: true })
            {
                failures.Add(new OrganizationFailure(write.OrganizationId, ex));
            }
        }

        if (setWiseError is not null && failures.Count == writes.Count
            && failures.All(f => f.Error is PostgresException { SqlState: var state } && state == setWiseError.SqlState))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(setWiseError); // not one organization's: all of them
        }

        return new BatchEnsureResult(outcomes, failures, allSetWise, pausedByCoder);
    }

    /// <summary>Two commands for one organization in a batch: whatever either says is missing is written (a row already there is skipped).</summary>
    private static OrganizationPrebuildStatus MergeSnapshots(IEnumerable<OrganizationPrebuildStatus> snapshots)
    {
        var all = snapshots.ToList();
        var first = all[0];
        var groupIds = all.Select(s => s.PrebuildsGroupId).Distinct().ToList();
        return first with
        {
            HasPrebuildUser = all.TrueForAll(s => s.HasPrebuildUser),
            PrebuildsGroupId = groupIds.Count == 1 ? groupIds[0] : null,
            HasPrebuildUserInGroup = all.TrueForAll(s => s.HasPrebuildUserInGroup) && groupIds.Count == 1,
        };
    }

    private async Task InsertMembershipsAsync(NpgsqlConnection connection, List<OrganizationWrite> writes, PrebuildsOptions prebuilds, CancellationToken cancellationToken)
    {
        var missing = writes.Where(w => !w.HasMembership).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        var created = (await connection.QueryAsync<Guid>(new CommandDefinition(Queries.InsertOrganizationMembers, new
        {
            OrganizationIds = missing.Select(w => w.OrganizationId).ToArray(),
            prebuilds.UserId,
            CreatedAt = now,
            UpdatedAt = now,
        }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();

        foreach (var write in missing)
        {
            write.MembershipWritten(created.Contains(write.OrganizationId));
        }
    }

    private static async Task InsertGroupsAsync(NpgsqlConnection connection, List<OrganizationWrite> writes, PrebuildsOptions prebuilds, CancellationToken cancellationToken)
    {
        var missing = writes.Where(w => w.GroupId is null).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var created = (await connection.QueryAsync<(Guid OrganizationId, Guid Id)>(new CommandDefinition(Queries.InsertGroups, new
        {
            OrganizationIds = missing.Select(w => w.OrganizationId).ToArray(),
            GroupIds = missing.Select(_ => Guid.NewGuid()).ToArray(),
            Name = prebuilds.GroupName,
            DisplayName = prebuilds.GroupDisplayName,
        }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToDictionary(r => r.OrganizationId, r => r.Id);

        var takenByOthers = missing.Where(w => !created.ContainsKey(w.OrganizationId)).ToList();
        var existing = takenByOthers.Count == 0
            ? new Dictionary<Guid, Guid>()
            : (await connection.QueryAsync<(Guid OrganizationId, Guid Id)>(new CommandDefinition(Queries.GetGroupsByOrgsAndName, new
            {
                OrganizationIds = takenByOthers.Select(w => w.OrganizationId).ToArray(),
                Name = prebuilds.GroupName,
            }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToDictionary(r => r.OrganizationId, r => r.Id);

        foreach (var write in missing)
        {
            if (created.TryGetValue(write.OrganizationId, out var id))
            {
                write.GroupWritten(id, created: true);
            }
            else if (existing.TryGetValue(write.OrganizationId, out id))
            {
                write.GroupWritten(id, created: false);
            }

            // Neither: the group was created and deleted again by others; the one-at-a-time path recreates it.
        }
    }

    private static async Task InsertGroupMembershipsAsync(NpgsqlConnection connection, List<OrganizationWrite> writes, PrebuildsOptions prebuilds, CancellationToken cancellationToken)
    {
        var missing = writes.Where(w => w.GroupId is not null && !w.HasGroupMembership).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var created = (await connection.QueryAsync<Guid>(new CommandDefinition(Queries.InsertGroupMembers, new
        {
            GroupIds = missing.Select(w => w.GroupId!.Value).ToArray(),
            prebuilds.UserId,
        }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet();

        foreach (var write in missing)
        {
            write.GroupMembershipWritten(created.Contains(write.GroupId!.Value));
        }
    }

    /// <summary>One organization's progress through the set-wise statements.</summary>
    private sealed class OrganizationWrite(OrganizationPrebuildStatus status)
    {
        public Guid OrganizationId => status.OrganizationId;
        public bool HasMembership { get; private set; } = status.HasPrebuildUser;
        public Guid? GroupId { get; private set; } = status.PrebuildsGroupId;
        public bool HasGroupMembership { get; private set; } = status.HasPrebuildUserInGroup && status.PrebuildsGroupId is not null;
        public bool IsDone => HasMembership && GroupId is not null && HasGroupMembership;

        private bool membershipCreated;
        private bool groupCreated;
        private bool groupMembershipCreated;
        private int conflicts;

        /// <summary>What is left to write, as a snapshot for the one-at-a-time ensurer.</summary>
        public OrganizationPrebuildStatus Remaining => status with
        {
            HasPrebuildUser = HasMembership,
            PrebuildsGroupId = GroupId,
            HasPrebuildUserInGroup = HasGroupMembership,
        };

        public void MembershipWritten(bool created)
        {
            HasMembership = true;
            membershipCreated = created;
            conflicts += created ? 0 : 1;
        }

        /// <summary>A group this snapshot did not see cannot be trusted to hold the user: its membership is written next.</summary>
        public void GroupWritten(Guid id, bool created)
        {
            GroupId = id;
            HasGroupMembership = false;
            groupCreated = created;
            conflicts += created ? 0 : 1;
        }

        public void GroupMembershipWritten(bool created)
        {
            HasGroupMembership = true;
            groupMembershipCreated = created;
            conflicts += created ? 0 : 1;
        }

        public OrgSetupOutcome Outcome(OrgSetupResult result, Guid? groupId) =>
            new(OrganizationId, result, membershipCreated, groupCreated, groupMembershipCreated, conflicts, groupId);

        /// <summary>This write's own rows plus what the one-at-a-time ensurer did after it.</summary>
        public OrgSetupOutcome Combine(OrgSetupOutcome rest) => new(OrganizationId, rest.Result,
            membershipCreated || rest.MembershipCreated,
            groupCreated || rest.GroupCreated,
            groupMembershipCreated || rest.GroupMembershipCreated,
            conflicts + rest.UniqueViolationsTolerated,
            rest.GroupId);
    }
}

/// <summary>One organization whose setup failed for a reason of its own; the others of its batch are not affected.</summary>
public sealed record OrganizationFailure(Guid OrganizationId, Exception Error);

/// <summary>What a batch ensure did: an outcome per organization that succeeded, and the organizations that failed on their own.</summary>
/// <param name="SetWise">False when an error of a set statement sent the batch one organization at a time.</param>
/// <param name="PausedByCoder">What the batch last read of Coder's pause (null with Prebuilds:IgnoreCoderPause): true when it held writes back.</param>
public sealed record BatchEnsureResult(IReadOnlyList<OrgSetupOutcome> Outcomes, IReadOnlyList<OrganizationFailure> Failures, bool SetWise, bool? PausedByCoder = null);
