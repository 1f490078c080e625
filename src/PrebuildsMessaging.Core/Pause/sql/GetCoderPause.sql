-- name: GetCoderPause :one
-- Coder's pause of prebuilds reconciliation (sql/functions/CoderReconciliationPaused.sql), on its own: for looking whether a
-- pause was lifted. The status query and the writer read the same inside their own statements.
SELECT prebuilds_messaging.coder_reconciliation_paused() AS paused;
