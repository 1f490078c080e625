-- Takes the prebuilds setup away again (benchmark database only), so that the next contender starts from the same
-- unconfigured organizations. Three statements, run one at a time with a VACUUM of the table just emptied between them:
-- deleting a group checks group_members for rows that reference it, and 100,000 dead rows there make each check slow.

-- name: DeletePrebuildsGroupMembers :exec
DELETE FROM group_members WHERE user_id = @UserId;

-- name: DeletePrebuildsGroups :exec
DELETE FROM groups WHERE name = @GroupName;

-- name: DeletePrebuildsOrganizationMembers :exec
DELETE FROM organization_members WHERE user_id = @UserId;
