-- name: ResetPrebuildsSetup :exec
-- Takes the prebuilds setup away again (benchmark database only), so that the next contender starts from
-- the same unconfigured organizations.
DELETE FROM group_members WHERE user_id = @UserId;
DELETE FROM groups WHERE name = @GroupName;
DELETE FROM organization_members WHERE user_id = @UserId;
