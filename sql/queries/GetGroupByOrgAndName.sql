-- name: GetGroupByOrgAndName :one
SELECT id
FROM groups
WHERE organization_id = @OrganizationId
  AND name = @Name
LIMIT 1;
