-- The fault soak's workload: Coder's own writes, each statement one transaction, as coderd makes them (the queries
-- named after Coder's sqlc queries where one exists). Nothing here writes what the service writes.

-- name: SeedOwners :exec
-- The users who create organizations and templates, as Coder's first users are.
INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status, login_type)
SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(n), 12, '0'))::uuid, 'soak-owner-' || n || '@example.com', 'soak-owner-' || n,
       '\x00', now(), now(), 'active', 'password'
FROM generate_series(1, @Owners) n
ON CONFLICT DO NOTHING;

-- name: CreateOrganization :exec
-- postOrganizations: InsertOrganization, InsertOrganizationMember (the creator, as organization-admin) and
-- InsertAllUsersGroup (the Everyone group, whose id is the organization's), in one transaction.
WITH o AS (
    INSERT INTO organizations (id, name, description, created_at, updated_at, display_name, icon)
    VALUES (@Id, @Name, '', now(), now(), @Name, '')
    RETURNING id
), m AS (
    INSERT INTO organization_members (organization_id, user_id, created_at, updated_at, roles)
    SELECT o.id, @Owner, now(), now(), '{organization-admin}' FROM o
)
INSERT INTO groups (id, name, organization_id, display_name)
SELECT o.id, 'Everyone', o.id, '' FROM o;

-- name: CreateTemplateVersionWithPresets :exec
-- A template version built before its template exists (template_id NULL), with its presets, as the provisioner
-- job's completion inserts them (InsertTemplateVersion, then InsertPreset for each).
WITH v AS (
    INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
    VALUES (@Id, NULL, @OrganizationId, now(), now(), @Name, '', gen_random_uuid(), @Owner)
    RETURNING id
)
INSERT INTO template_version_presets (id, template_version_id, name, desired_instances)
SELECT p.id, v.id, 'preset-' || p.ordinal, p.desired
FROM v, unnest(@PresetIds::uuid[], @Desired::int[]) WITH ORDINALITY AS p(id, desired, ordinal);

-- name: CreateTemplateFromVersion :exec
-- postTemplateByOrganization: InsertTemplate with the version as its active version, then
-- UpdateTemplateVersionByTemplateID to attach the version, in one transaction.
WITH t AS (
    INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
    VALUES (@TemplateId, now(), now(), @OrganizationId, @Name, 'terraform', @VersionId, @Owner)
    RETURNING id
)
UPDATE template_versions SET template_id = (SELECT id FROM t), updated_at = now() WHERE id = @VersionId;

-- name: AttachVersionToTemplate :exec
-- A new version of an existing template: attached, then promoted to the active version (UpdateTemplateActiveVersionByID).
WITH v AS (
    UPDATE template_versions SET template_id = @TemplateId, updated_at = now() WHERE id = @VersionId RETURNING id
)
UPDATE templates SET active_version_id = (SELECT id FROM v), updated_at = now() WHERE id = @TemplateId;

-- name: InsertPreset :exec
INSERT INTO template_version_presets (id, template_version_id, name, desired_instances)
VALUES (@Id, @VersionId, @Name, @Desired);

-- name: UpdatePresetDesiredInstances :exec
UPDATE template_version_presets SET desired_instances = @Desired WHERE id = @Id;

-- name: DeleteOrganizationMember :exec
-- An administrator removes a member (Coder's trigger removes the member from the organization's groups too).
DELETE FROM organization_members WHERE organization_id = @OrganizationId AND user_id = @UserId;

-- name: DeleteGroupByName :exec
-- An administrator deletes a group (DeleteGroupByID; group_members go with it, ON DELETE CASCADE).
DELETE FROM groups WHERE organization_id = @OrganizationId AND name = @Name;

-- name: UpdateTemplateDeletedByID :exec
UPDATE templates SET deleted = true, updated_at = now() WHERE id = @Id;

-- name: GetGroupsToDelete :many
-- What an administrator sees before deleting an organization: its groups other than Everyone ...
SELECT name FROM groups WHERE organization_id = @OrganizationId AND id <> @OrganizationId ORDER BY name;

-- name: GetMembersToRemove :many
-- ... and its members other than the owner.
SELECT user_id FROM organization_members WHERE organization_id = @OrganizationId AND user_id <> @Owner ORDER BY user_id;

-- name: UpdateOrganizationDeletedByID :exec
-- The soft delete; Coder's trigger protect_deleting_organizations refuses it while the organization has
-- templates, groups other than Everyone, or members other than one.
UPDATE organizations SET deleted = true, updated_at = now() WHERE id = @Id AND is_default = false;
