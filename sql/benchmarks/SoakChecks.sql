-- The fault soak's checker: what must hold, read straight from Coder's tables, independently of the service's
-- own queries.

-- name: Unconverged :many
-- Organizations that need the prebuilds setup and miss some of it. An organization needs it when it is not deleted
-- and one of its templates that is not deleted has a version with a preset that asks for prebuilds.
SELECT o.id
FROM organizations o
WHERE NOT o.deleted
  AND EXISTS (
      SELECT 1 FROM templates t
      JOIN template_versions tv ON tv.template_id = t.id
      JOIN template_version_presets p ON p.template_version_id = tv.id
      WHERE t.organization_id = o.id AND NOT t.deleted AND p.desired_instances IS NOT NULL)
  AND NOT (
      EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = @UserId)
      AND EXISTS (SELECT 1 FROM groups g JOIN group_members gm ON gm.group_id = g.id
                  WHERE g.organization_id = o.id AND g.name = @GroupName AND gm.user_id = @UserId));

-- name: Counts :one
SELECT
    (SELECT count(*) FROM organizations) AS "Organizations",
    (SELECT count(*) FROM organizations WHERE deleted) AS "DeletedOrganizations",
    (SELECT count(*) FROM organizations o WHERE NOT o.deleted AND EXISTS (
        SELECT 1 FROM templates t
        JOIN template_versions tv ON tv.template_id = t.id
        JOIN template_version_presets p ON p.template_version_id = tv.id
        WHERE t.organization_id = o.id AND NOT t.deleted AND p.desired_instances IS NOT NULL)) AS "Needing",
    (SELECT count(*) FROM template_version_presets) AS "Presets",
    (SELECT count(*) FROM organization_members WHERE user_id = @UserId) AS "Memberships",
    (SELECT count(*) FROM groups WHERE name = @GroupName) AS "Groups",
    (SELECT count(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.name = @GroupName AND gm.user_id = @UserId) AS "GroupMemberships";

-- name: SetupWhereNotNeeded :many
-- Organizations holding some of the prebuilds setup that must hold none: those deleted (their administrator removed
-- the setup before deleting them) and those given as never having had a preset that asks for prebuilds.
SELECT o.id, o.deleted
FROM organizations o
WHERE (o.deleted OR o.id = ANY (@NeverNeeded))
  AND (EXISTS (SELECT 1 FROM organization_members m WHERE m.organization_id = o.id AND m.user_id = @UserId)
       OR EXISTS (SELECT 1 FROM groups g WHERE g.organization_id = o.id AND g.name = @GroupName));

-- name: CreateAuditSlot :exec
-- The checker's own record of every write, decoded by test_decoding from the WAL; created before the workers start.
SELECT pg_create_logical_replication_slot(@Slot, 'test_decoding');

-- name: ReadAudit :many
-- What the slot decoded since the last read, of the three tables the service writes (consumed: handed out once).
SELECT data
FROM pg_logical_slot_get_changes(@Slot, NULL, NULL, 'include-xids', '0', 'skip-empty-xacts', '1')
WHERE data LIKE 'table public.organization_members: INSERT:%'
   OR data LIKE 'table public.groups: INSERT:%'
   OR data LIKE 'table public.group_members: INSERT:%';

-- name: DropAuditSlot :exec
SELECT pg_drop_replication_slot(@Slot);

-- name: WorkerStatements :many
-- The statements the workers' role ran since pg_stat_statements was reset, by kind: 'coder' reads or writes Coder's
-- tables (the passes' work); 'quartz' is Quartz's clustered store (its tables, and the BEGIN and COMMIT around them);
-- 'bookkeeping' is the rest (the change feed's slot lag, the recommended index's state: catalogs only).
SELECT s.calls,
       left(regexp_replace(s.query, '\s+', ' ', 'g'), 100) AS text,
       CASE
           WHEN s.query ILIKE '%qrtz%' OR s.query ~* '^\s*(BEGIN|COMMIT|ROLLBACK)' THEN 'quartz'
           WHEN s.query ~* '\m(organizations|organization_members|groups|group_members|templates|template_versions|template_version_presets)\M' THEN 'coder'
           ELSE 'bookkeeping'
       END AS kind
FROM pg_stat_statements s
JOIN pg_roles r ON r.oid = s.userid
JOIN pg_database d ON d.oid = s.dbid
WHERE r.rolname = @Role AND d.datname = current_database()
ORDER BY s.calls DESC, 2;

-- name: ScheduledFirings :one
-- When the schedule last fired (Quartz.NET's ticks), to count the scheduled passes of a window.
SELECT coalesce(max(prev_fire_time), 0) FROM prebuilds_messaging.qrtz_triggers;
