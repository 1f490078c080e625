using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PrebuildsMessaging.Configuration;
using PrebuildsMessaging.Database;

namespace PrebuildsMessaging.Reconciliation;

/// <summary>
/// Ensures one organization's prebuilds setup from a status snapshot: inserts only what the snapshot
/// says is missing, each insert its own statement, as Coder's loop does. Safe to run any number of
/// times, concurrently: a unique violation means the row is already there.
/// </summary>
public sealed partial class OrgPrebuildSetupEnsurer(
    NpgsqlDataSource dataSource,
    IOptions<PrebuildsOptions> options,
    TimeProvider timeProvider,
    ILogger<OrgPrebuildSetupEnsurer> logger)
{
    // The group can be deleted between our reads and writes; we recreate it once before giving up.
    private const int GroupAttempts = 2;

    public async Task<OrgSetupOutcome> EnsureAsync(OrganizationPrebuildStatus status, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(status);
        var prebuilds = options.Value;
        var write = new WriteTally();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

        if (!status.HasPrebuildUser)
        {
            var now = timeProvider.GetUtcNow();
            var result = await IdempotentInsert.ExecuteAsync(connection, Queries.InsertOrganizationMember,
                new { status.OrganizationId, prebuilds.UserId, CreatedAt = now, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            if (write.RecordIsOrganizationGone(result, prebuilds.UserId))
            {
                return Gone(status, write);
            }

            write.MembershipCreated = result == InsertResult.Inserted;
        }

        var groupId = status.PrebuildsGroupId;
        var needsGroupMembership = !status.HasPrebuildUserInGroup;
        for (var attempt = 1; ; attempt++)
        {
            if (groupId is null)
            {
                var newGroupId = Guid.NewGuid();
                var result = await IdempotentInsert.ExecuteAsync(connection, Queries.InsertGroup,
                    new { Id = newGroupId, Name = prebuilds.GroupName, DisplayName = prebuilds.GroupDisplayName, status.OrganizationId },
                    cancellationToken).ConfigureAwait(false);
                if (write.RecordIsOrganizationGone(result, prebuilds.UserId))
                {
                    return Gone(status, write);
                }

                if (result == InsertResult.Inserted)
                {
                    groupId = newGroupId;
                    write.GroupCreated = true;
                }
                else
                {
                    // Someone else created it after our status read: use theirs, never an empty id.
                    groupId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(Queries.GetGroupByOrgAndName,
                        new { status.OrganizationId, Name = prebuilds.GroupName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (groupId is null)
                    {
                        ThrowIfOutOfAttempts(attempt, status, prebuilds);
                        continue;
                    }
                }

                // A group we did not see in the status read cannot be trusted to hold the user.
                needsGroupMembership = true;
            }

            if (!needsGroupMembership)
            {
                break;
            }

            var memberResult = await IdempotentInsert.ExecuteAsync(connection, Queries.InsertGroupMember,
                new { prebuilds.UserId, GroupId = groupId.Value }, cancellationToken).ConfigureAwait(false);
            if (memberResult == InsertResult.GroupMissing)
            {
                ThrowIfOutOfAttempts(attempt, status, prebuilds);
                groupId = null;
                continue;
            }

            if (write.RecordIsOrganizationGone(memberResult, prebuilds.UserId))
            {
                return Gone(status, write);
            }

            write.GroupMembershipCreated = memberResult == InsertResult.Inserted;
            break;
        }

        var outcome = new OrgSetupOutcome(status.OrganizationId, OrgSetupResult.Ensured, write.MembershipCreated,
            write.GroupCreated, write.GroupMembershipCreated, write.UniqueViolations, groupId);
        LogEnsured(logger, status.OrganizationName, status.OrganizationId, outcome.MembershipCreated, outcome.GroupCreated,
            outcome.GroupMembershipCreated, outcome.UniqueViolationsTolerated);
        return outcome;
    }

    private OrgSetupOutcome Gone(OrganizationPrebuildStatus status, WriteTally write)
    {
        LogOrganizationGone(logger, status.OrganizationName, status.OrganizationId);
        return new OrgSetupOutcome(status.OrganizationId, OrgSetupResult.OrganizationGone, write.MembershipCreated,
            write.GroupCreated, write.GroupMembershipCreated, write.UniqueViolations, null);
    }

    private static void ThrowIfOutOfAttempts(int attempt, OrganizationPrebuildStatus status, PrebuildsOptions prebuilds)
    {
        if (attempt >= GroupAttempts)
        {
            throw new PrebuildsGroupVanishedException(status.OrganizationId, prebuilds.GroupName);
        }
    }

    /// <summary>Counts what the inserts did, and turns the missing-reference results into outcomes.</summary>
    private sealed class WriteTally
    {
        public bool MembershipCreated { get; set; }
        public bool GroupCreated { get; set; }
        public bool GroupMembershipCreated { get; set; }
        public int UniqueViolations { get; private set; }

        /// <summary>Counts a tolerated unique violation; true when the organization no longer exists.</summary>
        public bool RecordIsOrganizationGone(InsertResult result, Guid userId)
        {
            switch (result)
            {
                case InsertResult.Inserted:
                    return false;
                case InsertResult.AlreadyExists:
                    UniqueViolations++;
                    return false;
                case InsertResult.OrganizationMissing:
                    return true;
                case InsertResult.UserMissing:
                    throw new PrebuildsUserMissingException(userId);
                default:
                    throw new InvalidOperationException($"Unexpected insert result {result}.");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ensured prebuilds setup of organization {OrganizationName} ({OrganizationId}): membership created {MembershipCreated}, group created {GroupCreated}, group membership created {GroupMembershipCreated}, {UniqueViolationsTolerated} rows already there")]
    private static partial void LogEnsured(ILogger logger, string organizationName, Guid organizationId, bool membershipCreated, bool groupCreated, bool groupMembershipCreated, int uniqueViolationsTolerated);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Organization {OrganizationName} ({OrganizationId}) no longer exists; nothing to set up")]
    private static partial void LogOrganizationGone(ILogger logger, string organizationName, Guid organizationId);
}
