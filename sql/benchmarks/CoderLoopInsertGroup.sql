-- name: CoderLoopInsertGroup :exec
-- Coder's loop, one row per statement, as the benchmark's anchor runs it.
-- The prebuilds group: no avatar, and a quota allowance of 0 for administrators to adjust.
INSERT INTO groups (id, name, display_name, organization_id, avatar_url, quota_allowance)
VALUES (@Id, @Name, @DisplayName, @OrganizationId, '', 0);
