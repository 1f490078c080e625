-- name: InsertOrganizationMembers :many
-- The prebuilds user joins many organizations at once, with no roles. A membership already there is
-- skipped (a tolerated unique violation, done set-wise); RETURNING names the organizations it was added to.
-- A foreign-key violation (an organization or the user is gone) fails the whole statement: the caller
-- then goes one organization at a time to tell which.
INSERT INTO organization_members (organization_id, user_id, created_at, updated_at, roles)
SELECT ids.organization_id, @UserId, @CreatedAt, @UpdatedAt, '{}'::text[]
FROM unnest(@OrganizationIds::uuid[]) AS ids(organization_id)
ORDER BY ids.organization_id -- one lock order for every writer: two batches wait for each other, never deadlock
ON CONFLICT (organization_id, user_id) DO NOTHING
RETURNING organization_id;
