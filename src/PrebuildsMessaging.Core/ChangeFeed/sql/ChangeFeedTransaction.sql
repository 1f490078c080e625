-- name: ChangeFeedTransactionVisible :one
-- Whether a transaction the change feed decoded is visible to new snapshots yet, and the organizations of the
-- template versions it named. PostgreSQL may send a commit to a logical replication client a moment before the
-- committing backend makes it visible to other sessions: a status read in that moment would miss the change.
-- @Xid is the 32-bit id pgoutput carries; its epoch is the current snapshot's, or the one before when the
-- counter wrapped around since.
WITH snapshot AS (
    SELECT pg_current_snapshot() AS snap, pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax
)
SELECT
    pg_visible_in_snapshot(
        ((((xmax >> 32) - CASE WHEN @Xid::bigint > (xmax & 4294967295) THEN 1 ELSE 0 END) << 32) | @Xid::bigint)::text::xid8,
        snap) AS visible,
    ARRAY(SELECT DISTINCT tv.organization_id FROM template_versions tv WHERE tv.id = ANY (@Versions::uuid[])) AS organizations
FROM snapshot;
