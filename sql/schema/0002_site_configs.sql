-- Coder's site_configs, as in coderd/database/dump.sql: a key/value table with a unique key and no primary key.
-- Coder keeps its deployment settings here, among them prebuilds_settings ({"reconciliation_paused":true}, written
-- by `coder prebuilds pause` through UpsertPrebuildsSettings), and also signing keys: the service's role never
-- reads this table, only the function prebuilds_messaging.coder_reconciliation_paused() (sql/functions/).
CREATE TABLE site_configs (
    key character varying(256) NOT NULL,
    value text NOT NULL
);

ALTER TABLE ONLY site_configs
    ADD CONSTRAINT site_configs_key_key UNIQUE (key);
