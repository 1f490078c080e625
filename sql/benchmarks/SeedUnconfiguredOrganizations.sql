-- name: SeedUnconfiguredOrganizations :exec
-- End-to-end benchmark data: @Organizations organizations named e2e-org-NNNNNN, each with one template, one
-- version and one preset that asks for prebuilds, and none of the prebuilds setup (no membership, no group).
INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status, login_type)
VALUES ('00000000-0000-0000-0000-00000000beef', 'bench@example.com', 'bench', '\x00', now(), now(), 'active', 'password')
ON CONFLICT DO NOTHING;

CREATE TEMP TABLE e2e_orgs ON COMMIT DROP AS
SELECT gen_random_uuid() AS id, gen_random_uuid() AS template_id, gen_random_uuid() AS version_id, n
FROM generate_series(1, @Organizations) n;

INSERT INTO organizations (id, name, description, created_at, updated_at, display_name)
SELECT id, 'e2e-org-' || lpad(n::text, 6, '0'), '', now(), now(), 'E2E ' || n FROM e2e_orgs;

INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
SELECT template_id, now(), now(), id, 'tpl', 'terraform', version_id, '00000000-0000-0000-0000-00000000beef' FROM e2e_orgs;

INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
SELECT version_id, template_id, id, now(), now(), 'v1', '', gen_random_uuid(), '00000000-0000-0000-0000-00000000beef' FROM e2e_orgs;

INSERT INTO template_version_presets (template_version_id, name, desired_instances)
SELECT version_id, 'preset', 1 FROM e2e_orgs;
