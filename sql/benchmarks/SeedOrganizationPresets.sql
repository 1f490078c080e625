-- name: SeedOrganizationPresets :exec
-- Templates × versions × presets for one organization. When @WithPrebuilds, one preset in
-- @PrebuildEvery asks for prebuilds (desired_instances 1); otherwise none does, which is the worst case
-- for the status query's semi-join: it must look at every preset of the organization to say no.
WITH t AS (
    INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
    SELECT gen_random_uuid(), now(), now(), @OrganizationId, 'tpl-' || n, 'terraform', gen_random_uuid(), '00000000-0000-0000-0000-00000000beef'
    FROM generate_series(1, @Templates) n
    RETURNING id
), v AS (
    INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
    SELECT gen_random_uuid(), t.id, @OrganizationId, now(), now(), 'v' || n, '', gen_random_uuid(), '00000000-0000-0000-0000-00000000beef'
    FROM t CROSS JOIN generate_series(1, @Versions) n
    RETURNING id
)
INSERT INTO template_version_presets (template_version_id, name, desired_instances)
SELECT v.id, 'preset-' || n, CASE WHEN @WithPrebuilds AND n % @PrebuildEvery = 0 THEN 1 END
FROM v CROSS JOIN generate_series(1, @Presets) n;
