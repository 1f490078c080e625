-- name: CoderStatusQueryShape :many
-- For comparison only: the shape of Coder's own GetOrganizationsWithPrebuildStatus (coder/coder PR 20493),
-- written here for the benchmark. DISTINCT over the four-way join of organizations, templates, versions and
-- presets, then the membership, the group and the group membership joined to that set. It has no scope.
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
    WHERE om.user_id = @UserId::uuid
),
prebuilds_group AS (
    SELECT g.organization_id, g.id AS group_id FROM groups g
    JOIN prebuild_orgs po ON po.id = g.organization_id
    WHERE g.name = @GroupName::text
),
in_group AS (
    SELECT pg.organization_id FROM prebuilds_group pg
    JOIN group_members gm ON gm.group_id = pg.group_id
    WHERE gm.user_id = @UserId::uuid
)
SELECT po.id AS organization_id, po.name AS organization_name,
       (m.organization_id IS NOT NULL) AS has_prebuild_user,
       pg.group_id AS prebuilds_group_id,
       (ig.organization_id IS NOT NULL) AS has_prebuild_user_in_group
FROM prebuild_orgs po
LEFT JOIN prebuilds_group pg ON pg.organization_id = po.id
LEFT JOIN member_of m ON m.organization_id = po.id
LEFT JOIN in_group ig ON ig.organization_id = po.id;
