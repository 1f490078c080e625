-- name: InsertOrganizationWithPreset :one
-- One change as Coder makes it, in one transaction: a new organization whose template gets a version with a preset
-- that asks for prebuilds. Returns the organization's id. The template author is SeedOrganizations.sql's.
WITH o AS (
    INSERT INTO organizations (id, name, description, created_at, updated_at, display_name, deleted)
    VALUES (gen_random_uuid(), 'latency-' || left(md5(random()::text), 16), '', now(), now(), 'latency', false)
    RETURNING id
), t AS (
    INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
    SELECT gen_random_uuid(), now(), now(), o.id, 'tpl', 'terraform', gen_random_uuid(), '00000000-0000-0000-0000-00000000beef' FROM o
    RETURNING id, organization_id
), v AS (
    INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
    SELECT gen_random_uuid(), t.id, t.organization_id, now(), now(), 'v1', '', gen_random_uuid(), '00000000-0000-0000-0000-00000000beef' FROM t
    RETURNING id
), p AS (
    INSERT INTO template_version_presets (template_version_id, name, desired_instances)
    SELECT v.id, 'preset', 1 FROM v
)
SELECT id FROM o;
