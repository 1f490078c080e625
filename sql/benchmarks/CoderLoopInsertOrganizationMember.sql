-- name: CoderLoopInsertOrganizationMember :exec
-- Coder's loop, one row per statement, as the benchmark's anchor runs it.
-- The prebuilds user joins an organization with no roles.
INSERT INTO organization_members (organization_id, user_id, created_at, updated_at, roles)
VALUES (@OrganizationId, @UserId, @CreatedAt, @UpdatedAt, '{}'::text[]);
