-- Opt-in: `migrate --with-recommended-index`. An operator's decision, as it adds an index to a Coder table.
-- Coder's schema has no index that leads with template_version_presets.template_version_id, so the
-- status query scoped to a few organizations still scans every preset. This partial index holds only
-- the presets that ask for prebuilds. CONCURRENTLY: no write lock on the table while it builds.
CREATE INDEX CONCURRENTLY IF NOT EXISTS prebuilds_messaging_presets_prebuilds_idx
    ON template_version_presets USING btree (template_version_id)
    WHERE desired_instances IS NOT NULL;
