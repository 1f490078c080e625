-- name: InsertGroupMember :exec
INSERT INTO group_members (user_id, group_id)
VALUES (@UserId, @GroupId);
