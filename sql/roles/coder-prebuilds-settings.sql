-- The function through which the service reads Coder's pause of prebuilds reconciliation, and the right to call
-- it: run as an administrator (who can read site_configs), connected to Coder's database. Part of
-- least-privilege.sql; run it on its own when upgrading a least-privilege deployment to a version that honours
-- Coder's pause:
--
--   psql "$ADMIN_URL" -v role=prebuilds_messaging -f sql/roles/coder-prebuilds-settings.sql
--
-- The role gets EXECUTE on a function that returns one boolean, not SELECT on site_configs (which holds Coder's
-- signing keys too).
\set ON_ERROR_STOP on
\if :{?role}
\else
  \set role prebuilds_messaging
\endif

\ir ../functions/CoderReconciliationPaused.sql
GRANT EXECUTE ON FUNCTION prebuilds_messaging.coder_reconciliation_paused() TO :"role";
