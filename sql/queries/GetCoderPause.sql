-- name: GetCoderPause :one
-- Coder's pause of prebuilds reconciliation (sql/functions/CoderReconciliationPaused.sql), on its own: for the
-- ensure path and for looking whether a pause was lifted. The status query reads the same in its own statement.
SELECT prebuilds_messaging.coder_reconciliation_paused() AS paused;
