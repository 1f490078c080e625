-- name: InsertGroupMembers :many
-- The prebuilds user joins many groups at once. A group membership already there is skipped;
-- RETURNING names the groups it was added to.
INSERT INTO group_members (user_id, group_id)
SELECT @UserId, ids.group_id
FROM unnest(@GroupIds::uuid[]) AS ids(group_id)
ORDER BY ids.group_id -- one lock order for every writer: two batches wait for each other, never deadlock
ON CONFLICT (user_id, group_id) DO NOTHING
RETURNING group_id;
