-- name: CreateChangeFeedPublication :exec
-- Opt-in: `migrate --with-change-feed`. The changes that can create a need for the prebuilds setup, from Coder's own
-- tables. Every table here has a primary key, so Coder's own UPDATEs and DELETEs on it keep working (a table without
-- a replica identity in a publication that publishes deletes makes every DELETE on it fail). group_members has no
-- primary key and is left out: a prebuilds user removed from the group alone is repaired by the schedule.
CREATE PUBLICATION prebuilds_messaging_changes
    FOR TABLE template_version_presets, template_versions, organization_members, groups
    WITH (publish = 'insert, update, delete');
