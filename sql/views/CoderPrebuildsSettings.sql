-- name: CoderPrebuildsSettings :exec
-- The one row of Coder's site_configs that the service may read: its prebuilds settings (Coder's
-- GetPrebuildsSettings reads the same row). A view owned by a role that can read site_configs, so that the
-- service's own role needs SELECT on this view only, and never sees the other rows (Coder's signing keys among
-- them). `migrate` creates it when it is missing and the migrating role can read site_configs;
-- sql/roles/least-privilege.sql creates it as an administrator.
CREATE OR REPLACE VIEW prebuilds_messaging.coder_prebuilds_settings AS
    SELECT value FROM site_configs WHERE key = 'prebuilds_settings';
