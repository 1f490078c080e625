-- name: RecommendedPresetIndexState :one
-- NULL when the index does not exist; false when a failed CONCURRENTLY build left it invalid.
SELECT i.indisvalid
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relname = 'prebuilds_messaging_presets_prebuilds_idx'
  AND pg_catalog.pg_table_is_visible(c.oid);
