-- name: GetCoderPause :one
-- True while Coder's administrators have paused prebuilds reconciliation (`coder prebuilds pause`, or PUT
-- /api/v2/prebuilds/settings with {"reconciliation_paused": true}). Read as a pattern, not as JSON, so that a value
-- that is not valid JSON reads as "not paused" instead of failing the statement (Coder decodes it the same way:
-- a missing or false key is not paused).
SELECT coalesce(bool_or(s.value ~ '"reconciliation_paused"\s*:\s*true'), false) AS paused
FROM prebuilds_messaging.coder_prebuilds_settings s;
