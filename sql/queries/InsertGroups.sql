-- name: InsertGroups :many
-- The prebuilds group in many organizations at once: no avatar, and a quota allowance of 0 for
-- administrators to adjust. @GroupIds[i] is the new id for @OrganizationIds[i]. A group of that name
-- already there is skipped; RETURNING names the groups created.
INSERT INTO groups (id, name, display_name, organization_id, avatar_url, quota_allowance)
SELECT ids.group_id, @Name, @DisplayName, ids.organization_id, '', 0
FROM unnest(@OrganizationIds::uuid[], @GroupIds::uuid[]) AS ids(organization_id, group_id)
ORDER BY ids.organization_id -- one lock order for every writer: two batches wait for each other, never deadlock
ON CONFLICT (name, organization_id) DO NOTHING
RETURNING organization_id, id;
