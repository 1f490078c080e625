-- Drops an invalid leftover of a failed CONCURRENTLY build, so that it can be built again.
DROP INDEX CONCURRENTLY IF EXISTS prebuilds_messaging_presets_prebuilds_idx;
