-- name: GetOrganizationsWithPrebuildStatus :many
-- One row per organization with at least one preset that asks for prebuilds
-- (desired_instances IS NOT NULL, reached through templates and template versions), with the
-- prebuilds user's membership, the prebuilds group's id (NULL when missing), and the user's
-- membership of that group.
--
-- The same set of organizations as Coder's query of this name, with two intended differences:
-- soft-deleted organizations (deleted = true) are left out, and so are presets of soft-deleted templates
-- (Coder's reconciler builds no prebuilds for them, and counting them would write the setup back into an
-- organization its administrator is emptying to delete it, which Coder's trigger protect_deleting_organizations
-- then refuses to delete).
-- @OrganizationIds NULL means every organization; otherwise only those ids. The service runs this form for
-- scoped reads; for every organization it runs GetAllOrganizationsWithPrebuildStatus, below, which is faster there.
--
-- The first column, reconciliation_paused, is Coder's pause of prebuilds reconciliation; the statement always
-- returns at least one row, with NULL organization columns when no organization has prebuild presets.
--
-- Written as semi-joins (EXISTS) rather than DISTINCT over a four-way join, so PostgreSQL stops at
-- the first matching preset of each organization.
WITH coder_pause AS (
    -- Coder's own pause, in this same statement: a converged pass stays one statement.
    SELECT prebuilds_messaging.coder_reconciliation_paused() AS paused
), statuses AS (
    SELECT
        o.id AS organization_id,
        o.name AS organization_name,
        EXISTS (
            SELECT 1 FROM organization_members om
            WHERE om.organization_id = o.id AND om.user_id = @UserId::uuid
        ) AS has_prebuild_user,
        g.id AS prebuilds_group_id,
        (g.id IS NOT NULL AND EXISTS (
            SELECT 1 FROM group_members gm
            WHERE gm.group_id = g.id AND gm.user_id = @UserId::uuid
        )) AS has_prebuild_user_in_group
    FROM organizations o
    LEFT JOIN groups g ON g.organization_id = o.id AND g.name = @GroupName::text
    WHERE NOT o.deleted
      AND (@OrganizationIds::uuid[] IS NULL OR o.id = ANY (@OrganizationIds::uuid[]))
      AND EXISTS (
          SELECT 1
          FROM templates t
          JOIN template_versions tv ON tv.template_id = t.id
          JOIN template_version_presets tvp ON tvp.template_version_id = tv.id
          WHERE t.organization_id = o.id
            AND NOT t.deleted
            -- Repeats the scope on templates so that a scoped query starts from the scoped templates
            -- instead of joining every preset first (templates has no index on organization_id alone).
            AND (@OrganizationIds::uuid[] IS NULL OR t.organization_id = ANY (@OrganizationIds::uuid[]))
            AND tvp.desired_instances IS NOT NULL
      )
)
SELECT p.paused AS reconciliation_paused, st.*
FROM coder_pause p
-- While paused, a reconciliation that honours the pause reads no organization (@HoldBackWhenPaused); status does.
LEFT JOIN statuses st ON NOT (p.paused AND @HoldBackWhenPaused::boolean)
ORDER BY st.organization_name, st.organization_id;

-- name: GetAllOrganizationsWithPrebuildStatus :many
-- GetOrganizationsWithPrebuildStatus for every organization at once: the same rows, columns and order, in one
-- statement whose form follows the opt-in recommended index (prebuilds_messaging_presets_prebuilds_idx):
--   * with it (valid), one probe per template that stops at the template's first preset asking for prebuilds;
--   * without it, one pass over the presets, joined up to their organizations.
-- The index check is a one-time filter: PostgreSQL runs only the branch it selects. Both forms are faster than
-- Coder's DISTINCT over the four-way join on the same data, with or without the index.
-- The first column, reconciliation_paused, is Coder's pause of prebuilds reconciliation (as in
-- GetOrganizationsWithPrebuildStatus); at least one row, with NULL organization columns when there is none.
-- Soft-deleted organizations (deleted = true) and the presets of soft-deleted templates are left out.
WITH coder_pause AS (
    -- Coder's own pause, in this same statement: a converged pass stays one statement.
    SELECT prebuilds_messaging.coder_reconciliation_paused() AS paused
), prebuild_organizations AS (
    SELECT DISTINCT t.organization_id
    FROM templates t
    WHERE (SELECT coalesce(bool_or(i.indisvalid), false) FROM pg_index i
           WHERE i.indexrelid = to_regclass('prebuilds_messaging_presets_prebuilds_idx'))
      AND NOT t.deleted
      AND EXISTS (
          SELECT 1
          FROM template_versions tv
          JOIN template_version_presets tvp ON tvp.template_version_id = tv.id
          WHERE tv.template_id = t.id
            AND tvp.desired_instances IS NOT NULL
      )
    UNION ALL
    SELECT DISTINCT t.organization_id
    FROM template_version_presets tvp
    JOIN template_versions tv ON tv.id = tvp.template_version_id
    JOIN templates t ON t.id = tv.template_id
    WHERE NOT (SELECT coalesce(bool_or(i.indisvalid), false) FROM pg_index i
               WHERE i.indexrelid = to_regclass('prebuilds_messaging_presets_prebuilds_idx'))
      AND tvp.desired_instances IS NOT NULL
      AND NOT t.deleted
), statuses AS (
    SELECT
        o.id AS organization_id,
        o.name AS organization_name,
        EXISTS (
            SELECT 1 FROM organization_members om
            WHERE om.organization_id = o.id AND om.user_id = @UserId::uuid
        ) AS has_prebuild_user,
        g.id AS prebuilds_group_id,
        (g.id IS NOT NULL AND EXISTS (
            SELECT 1 FROM group_members gm
            WHERE gm.group_id = g.id AND gm.user_id = @UserId::uuid
        )) AS has_prebuild_user_in_group
    FROM prebuild_organizations po
    JOIN organizations o ON o.id = po.organization_id
    LEFT JOIN groups g ON g.organization_id = o.id AND g.name = @GroupName::text
    WHERE NOT o.deleted
)
SELECT p.paused AS reconciliation_paused, st.*
FROM coder_pause p
-- While paused, a reconciliation that honours the pause reads no organization (@HoldBackWhenPaused); status does.
LEFT JOIN statuses st ON NOT (p.paused AND @HoldBackWhenPaused::boolean)
ORDER BY st.organization_name, st.organization_id;
