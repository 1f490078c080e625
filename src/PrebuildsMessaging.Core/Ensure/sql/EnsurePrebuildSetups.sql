-- name: EnsurePrebuildSetups :many
-- Step 4 of the flow: writes what the status snapshots of a batch of organizations say is missing, in one
-- statement: the prebuilds user's memberships (no roles), the prebuilds groups (no avatar, a quota allowance of
-- 0 for administrators to adjust), and the user's group memberships. @OrganizationIds[i] comes with the
-- snapshot's @HasPrebuildUser[i], @PrebuildsGroupIds[i] (NULL when the group was missing),
-- @HasPrebuildUserInGroup[i], and @NewGroupIds[i], the id a group created for it takes.
--
-- A row already there is skipped (ON CONFLICT DO NOTHING: a tolerated unique violation, set-wise), so a
-- duplicate, a replay and a concurrent writer are safe. Before it writes anything, the statement takes a
-- transaction-scoped advisory lock per organization, in one order: the order in which one statement's inserts
-- reach the three tables is the plan's, so without them two writers of the same organizations could deadlock;
-- with them they wait for each other. The locks end with the statement, and write no WAL.
--
-- A group another writer created first is used when this statement's snapshot sees it; when it committed after
-- this statement began, the row comes back with a NULL group_id and the caller runs the statement again for it.
-- A foreign-key violation (an organization, the group or the user gone since the read) fails the whole statement:
-- the caller then runs it for one organization at a time to tell which.
--
-- Only an organization that can still use the setup when the statement runs is written: not deleted, with a template
-- that is not deleted (found through Coder's partial index on templates (organization_id, lower(name)) WHERE NOT
-- deleted; that its presets ask for prebuilds is the status read's to say). Coder's trigger
-- protect_deleting_organizations lets an organization be deleted only once all its templates are, and then its
-- groups other than Everyone and its members other than the owner; so a command read before the templates went writes
-- nothing back behind the administrator. The check and the write are one statement; what it cannot see is a template
-- deletion that commits while this statement runs (a few milliseconds). Locking the templates (FOR SHARE) would close
-- that too, but needs UPDATE on Coder's templates, which the least-privilege role does not have. Any other
-- organization comes back with still_needed false (and organization_exists).
--
-- The first column is Coder's pause of prebuilds reconciliation when @HonourPause: while it is on, nothing is
-- written and one row comes back with paused true and NULL organization columns.
WITH coder_pause AS (
    SELECT @HonourPause::boolean AND prebuilds_messaging.coder_reconciliation_paused() AS paused
), organization_locks AS (
    SELECT pg_advisory_xact_lock(k.key)
    FROM (SELECT DISTINCT hashtextextended(id::text, 0) AS key FROM unnest(@OrganizationIds::uuid[]) AS ids(id)) k
    WHERE NOT (SELECT paused FROM coder_pause)
    ORDER BY k.key
), live AS (
    SELECT DISTINCT t.organization_id
    FROM templates t
    JOIN organizations o ON o.id = t.organization_id
    WHERE t.organization_id = ANY (@OrganizationIds::uuid[])
      AND NOT t.deleted
      AND NOT o.deleted
      AND NOT (SELECT paused FROM coder_pause)
      AND (SELECT count(*) FROM organization_locks) >= 0 -- after the advisory locks
), not_needed AS (
    SELECT ids.id AS organization_id, EXISTS (SELECT 1 FROM organizations o WHERE o.id = ids.id) AS organization_exists
    FROM (SELECT DISTINCT id FROM unnest(@OrganizationIds::uuid[]) AS u(id)) ids
    WHERE NOT (SELECT paused FROM coder_pause)
      AND ids.id NOT IN (SELECT organization_id FROM live)
), wanted AS (
    SELECT w.*
    FROM unnest(@OrganizationIds::uuid[], @HasPrebuildUser::boolean[], @PrebuildsGroupIds::uuid[],
                @HasPrebuildUserInGroup::boolean[], @NewGroupIds::uuid[])
         AS w(organization_id, has_prebuild_user, prebuilds_group_id, has_prebuild_user_in_group, new_group_id)
    WHERE NOT (SELECT paused FROM coder_pause)
      AND w.organization_id IN (SELECT organization_id FROM live) -- every lock is held before any row is wanted
), memberships AS (
    INSERT INTO organization_members (organization_id, user_id, created_at, updated_at, roles)
    SELECT w.organization_id, @UserId::uuid, @Now::timestamptz, @Now::timestamptz, '{}'::text[]
    FROM wanted w
    WHERE NOT w.has_prebuild_user
    ORDER BY w.organization_id
    ON CONFLICT (organization_id, user_id) DO NOTHING
    RETURNING organization_id
), created_groups AS (
    INSERT INTO groups (id, name, display_name, organization_id, avatar_url, quota_allowance)
    SELECT w.new_group_id, @GroupName::text, @GroupDisplayName::text, w.organization_id, '', 0
    FROM wanted w
    WHERE w.prebuilds_group_id IS NULL
    ORDER BY w.organization_id
    ON CONFLICT (name, organization_id) DO NOTHING
    RETURNING organization_id, id
), groups_found AS (
    SELECT g.organization_id, g.id
    FROM wanted w
    JOIN groups g ON g.organization_id = w.organization_id AND g.name = @GroupName::text
    WHERE w.prebuilds_group_id IS NULL
), targets AS (
    SELECT w.organization_id,
           w.has_prebuild_user,
           w.prebuilds_group_id IS NULL AS needs_group,
           coalesce(w.prebuilds_group_id, cg.id, gf.id) AS group_id,
           cg.id IS NOT NULL AS group_created,
           -- A group the snapshot did not see cannot be trusted to hold the user: its membership is written.
           (w.prebuilds_group_id IS NULL OR NOT w.has_prebuild_user_in_group) AS needs_group_membership
    FROM wanted w
    LEFT JOIN created_groups cg ON cg.organization_id = w.organization_id
    LEFT JOIN groups_found gf ON gf.organization_id = w.organization_id
), group_memberships AS (
    INSERT INTO group_members (user_id, group_id)
    SELECT @UserId::uuid, t.group_id
    FROM targets t
    WHERE t.needs_group_membership AND t.group_id IS NOT NULL
    ORDER BY t.group_id
    ON CONFLICT (user_id, group_id) DO NOTHING
    RETURNING group_id
)
SELECT p.paused,
       t.organization_id,
       NOT t.has_prebuild_user AS needed_membership,
       m.organization_id IS NOT NULL AS membership_created,
       t.needs_group AS needed_group,
       t.group_created,
       t.group_id,
       t.needs_group_membership AND t.group_id IS NOT NULL AS needed_group_membership,
       gm.group_id IS NOT NULL AS group_membership_created,
       true AS still_needed,
       true AS organization_exists
FROM coder_pause p
LEFT JOIN targets t ON true
LEFT JOIN memberships m ON m.organization_id = t.organization_id
LEFT JOIN group_memberships gm ON gm.group_id = t.group_id
UNION ALL
SELECT false, n.organization_id, false, false, false, false, NULL, false, false, false, n.organization_exists
FROM not_needed n;
