-- name: CoderLoopPsql (a psql script)
-- Coder's loop driven by psql, the lightest client, as the benchmark's anchor runs it: one connection, the status
-- query (the shape of Coder's own, CoderStatusQueryShape), then each missing row as its own autocommit INSERT, in
-- order per organization. \gexec runs every statement the query returns on its own, as psql sends any statement.
-- Variables: user_id, group_name, group_display_name.
WITH prebuild_orgs AS (
    SELECT DISTINCT o.id, o.name
    FROM organizations o
    JOIN templates t ON t.organization_id = o.id
    JOIN template_versions tv ON tv.template_id = t.id
    JOIN template_version_presets tvp ON tvp.template_version_id = tv.id
    WHERE tvp.desired_instances IS NOT NULL
),
member_of AS (
    SELECT om.organization_id FROM organization_members om
    JOIN prebuild_orgs po ON po.id = om.organization_id
    WHERE om.user_id = :'user_id'::uuid
),
prebuilds_group AS (
    SELECT g.organization_id, g.id AS group_id FROM groups g
    JOIN prebuild_orgs po ON po.id = g.organization_id
    WHERE g.name = :'group_name'::text
),
in_group AS (
    SELECT pg.organization_id FROM prebuilds_group pg
    JOIN group_members gm ON gm.group_id = pg.group_id
    WHERE gm.user_id = :'user_id'::uuid
),
statuses AS (
    SELECT po.id AS organization_id,
           (m.organization_id IS NOT NULL) AS has_prebuild_user,
           pg.group_id AS prebuilds_group_id,
           (ig.organization_id IS NOT NULL) AS has_prebuild_user_in_group
    FROM prebuild_orgs po
    LEFT JOIN prebuilds_group pg ON pg.organization_id = po.id
    LEFT JOIN member_of m ON m.organization_id = po.id
    LEFT JOIN in_group ig ON ig.organization_id = po.id
)
SELECT v.statement
FROM statuses s
-- The id of a group the loop creates, one per organization (the reference to s makes it per row).
CROSS JOIN LATERAL (SELECT gen_random_uuid() AS id WHERE s.organization_id IS NOT NULL) new_group
CROSS JOIN LATERAL (VALUES
    (1, CASE WHEN NOT s.has_prebuild_user THEN format(
        'INSERT INTO organization_members (organization_id, user_id, created_at, updated_at, roles) VALUES (%L, %L, now(), now(), ''{}''::text[])',
        s.organization_id, :'user_id') END),
    (2, CASE WHEN s.prebuilds_group_id IS NULL THEN format(
        'INSERT INTO groups (id, name, display_name, organization_id, avatar_url, quota_allowance) VALUES (%L, %L, %L, %L, '''', 0)',
        new_group.id, :'group_name', :'group_display_name', s.organization_id) END),
    (3, CASE WHEN NOT s.has_prebuild_user_in_group THEN format(
        'INSERT INTO group_members (user_id, group_id) VALUES (%L, %L)',
        :'user_id', coalesce(s.prebuilds_group_id, new_group.id)) END)
) AS v(step, statement)
WHERE v.statement IS NOT NULL
ORDER BY s.organization_id, v.step
\gexec
