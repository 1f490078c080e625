-- The view through which the service reads Coder's pause of prebuilds reconciliation, and the right to read it:
-- run as an administrator (who can read site_configs), connected to Coder's database. Part of least-privilege.sql;
-- run it on its own when upgrading a least-privilege deployment to a version that honours Coder's pause:
--
--   psql "$ADMIN_URL" -v role=prebuilds_messaging -f sql/roles/coder-prebuilds-settings.sql
--
-- The role gets SELECT on this one row of site_configs, not on the table (which holds Coder's signing keys too).
\if :{?role}
\else
  \set role prebuilds_messaging
\endif

\ir ../views/CoderPrebuildsSettings.sql
GRANT SELECT ON prebuilds_messaging.coder_prebuilds_settings TO :"role";
