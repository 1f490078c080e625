-- name: SeedDemo :exec
-- A small demo data set on Coder's development schema. Idempotent: fixed ids and ON CONFLICT DO NOTHING,
-- so a second run changes nothing (and never undoes what the worker set up).
--   acme      presets with prebuilds, nothing set up yet
--   globex    presets with prebuilds, the prebuilds user is a member but there is no group
--   initech   presets with prebuilds, everything already set up
--   umbrella  templates and presets, none asking for prebuilds: left alone
INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status, login_type)
VALUES ('d0000000-0000-0000-0000-000000000001', 'admin@demo.example', 'demo-admin', '\x00', now(), now(), 'active', 'password')
ON CONFLICT DO NOTHING;

INSERT INTO organizations (id, name, description, created_at, updated_at, display_name)
VALUES ('d0000000-0000-0000-0000-0000000000a1', 'acme', '', now(), now(), 'Acme'),
       ('d0000000-0000-0000-0000-0000000000a2', 'globex', '', now(), now(), 'Globex'),
       ('d0000000-0000-0000-0000-0000000000a3', 'initech', '', now(), now(), 'Initech'),
       ('d0000000-0000-0000-0000-0000000000a4', 'umbrella', '', now(), now(), 'Umbrella')
ON CONFLICT DO NOTHING;

INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
SELECT ('d0000000-0000-0000-0001-0000000000a' || n)::uuid, now(), now(), ('d0000000-0000-0000-0000-0000000000a' || n)::uuid,
       'docker-dev', 'terraform', ('d0000000-0000-0000-0002-0000000000a' || n)::uuid, 'd0000000-0000-0000-0000-000000000001'
FROM generate_series(1, 4) n
ON CONFLICT DO NOTHING;

INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
SELECT ('d0000000-0000-0000-0002-0000000000a' || n)::uuid, ('d0000000-0000-0000-0001-0000000000a' || n)::uuid,
       ('d0000000-0000-0000-0000-0000000000a' || n)::uuid, now(), now(), 'v1', '', gen_random_uuid(), 'd0000000-0000-0000-0000-000000000001'
FROM generate_series(1, 4) n
ON CONFLICT DO NOTHING;

INSERT INTO template_version_presets (id, template_version_id, name, desired_instances)
SELECT ('d0000000-0000-0000-0003-0000000000a' || n)::uuid, ('d0000000-0000-0000-0002-0000000000a' || n)::uuid,
       'small', CASE WHEN n = 4 THEN NULL ELSE 2 END
FROM generate_series(1, 4) n
ON CONFLICT DO NOTHING;

INSERT INTO organization_members (organization_id, user_id, created_at, updated_at)
VALUES ('d0000000-0000-0000-0000-0000000000a2', 'c42fdf75-3097-471c-8c33-fb52454d81c0', now(), now()),
       ('d0000000-0000-0000-0000-0000000000a3', 'c42fdf75-3097-471c-8c33-fb52454d81c0', now(), now())
ON CONFLICT DO NOTHING;

INSERT INTO groups (id, name, display_name, organization_id)
VALUES ('d0000000-0000-0000-0004-0000000000a3', 'coderprebuiltworkspaces', 'Prebuilt Workspaces', 'd0000000-0000-0000-0000-0000000000a3')
ON CONFLICT DO NOTHING;

INSERT INTO group_members (user_id, group_id)
VALUES ('c42fdf75-3097-471c-8c33-fb52454d81c0', 'd0000000-0000-0000-0004-0000000000a3')
ON CONFLICT DO NOTHING;
