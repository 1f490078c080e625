-- name: InsertGroupMembers :many
-- The prebuilds user joins many groups at once. A group membership already there is skipped;
-- RETURNING names the groups it was added to.
INSERT INTO group_members (user_id, group_id)
SELECT @UserId, ids.group_id
FROM unnest(@GroupIds::uuid[]) AS ids(group_id)
ON CONFLICT (user_id, group_id) DO NOTHING
RETURNING group_id;
