-- The service's own objects live in their own schema, apart from Coder's tables. The migrator creates the schema
-- (when it is missing) before this script, because the migration journal (prebuilds_messaging.schema_versions)
-- lives in it; an administrator may have created it beforehand (sql/roles/least-privilege.sql).
COMMENT ON SCHEMA prebuilds_messaging IS 'Objects owned by PrebuildsMessaging (migration journal, scheduler state). Coder does not read this schema.';
