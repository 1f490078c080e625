-- name: CoderReconciliationPaused :exec
-- prebuilds_messaging.coder_reconciliation_paused(): true while Coder's administrators have paused prebuilds
-- reconciliation (`coder prebuilds pause`, or PUT /api/v2/prebuilds/settings with {"reconciliation_paused": true}),
-- from the row Coder's GetPrebuildsSettings reads (site_configs, key prebuilds_settings).
--   * It returns one boolean and nothing else: site_configs also holds Coder's signing keys, and the service's role
--     needs EXECUTE on this function, never SELECT on the table (SECURITY DEFINER: it reads with its owner's rights,
--     and its search_path is the one it was created with).
--   * A function with a string body records no dependency on site_configs' columns, so Coder's own migrations may
--     alter that table as they always could (a view would make them fail).
--   * The value is read as a pattern, not as JSON: a value that is not valid JSON reads "not paused" instead of
--     failing the statement (Coder decodes it the same way: a missing or false key is not paused), and without
--     regard to case, as Go's encoding/json matches the key.
-- `migrate` creates it when it is missing and the migrating role can read site_configs;
-- sql/roles/coder-prebuilds-settings.sql creates it as an administrator.
CREATE OR REPLACE FUNCTION prebuilds_messaging.coder_reconciliation_paused() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path FROM CURRENT
    AS $fn$
        SELECT coalesce(bool_or(value ~* E'"reconciliation_paused"\\s*:\\s*true'), false)
        FROM site_configs WHERE key = 'prebuilds_settings'
    $fn$;
