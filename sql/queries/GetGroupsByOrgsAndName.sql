-- name: GetGroupsByOrgsAndName :many
-- The ids of groups that another writer created first (their insert was skipped). Its own statement, so
-- that it sees rows committed after the insert's snapshot was taken.
SELECT organization_id, id
FROM groups
WHERE organization_id = ANY (@OrganizationIds::uuid[])
  AND name = @Name;
