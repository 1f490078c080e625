-- name: ChangeFeedTransactionsVisible :one
-- Whether the transactions the change feed decoded are all visible to new snapshots yet, and the organizations of
-- the template versions they named. PostgreSQL may send a commit to a logical replication client a moment before
-- the committing backend makes it visible to other sessions: a status read in that moment would miss the change.
-- @Xids are the 32-bit ids pgoutput carries; the epoch of each is the current snapshot's, or the one before when
-- the counter wrapped around since.
WITH snapshot AS (
    SELECT pg_current_snapshot() AS snap, pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax
)
SELECT
    coalesce((
        SELECT bool_and(pg_visible_in_snapshot(
            ((((s.xmax >> 32) - CASE WHEN x > (s.xmax & 4294967295) THEN 1 ELSE 0 END) << 32) | x)::text::xid8, s.snap))
        FROM unnest(@Xids::bigint[]) AS x
    ), true) AS visible,
    ARRAY(SELECT DISTINCT tv.organization_id FROM template_versions tv WHERE tv.id = ANY (@Versions::uuid[])) AS organizations
FROM snapshot s;
