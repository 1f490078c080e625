-- The service's own objects live in their own schema, apart from Coder's tables.
-- The migration journal (prebuilds_messaging.schema_versions) is created here by the migrator.
CREATE SCHEMA IF NOT EXISTS prebuilds_messaging;
COMMENT ON SCHEMA prebuilds_messaging IS 'Objects owned by PrebuildsMessaging (migration journal, scheduler state). Coder does not read this schema.';
