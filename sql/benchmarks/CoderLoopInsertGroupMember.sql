-- name: CoderLoopInsertGroupMember :exec
-- Coder's loop, one row per statement, as the benchmark's anchor runs it.
INSERT INTO group_members (user_id, group_id)
VALUES (@UserId, @GroupId);
