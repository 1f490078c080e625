-- A least-privilege role for PrebuildsMessaging: run once, as an administrator (a superuser, or the owner of
-- Coder's tables with CREATEROLE and CREATE on the database), connected to Coder's database:
--
--   psql "$ADMIN_URL" -v role=prebuilds_messaging -f sql/roles/least-privilege.sql
--   psql "$ADMIN_URL" -c "ALTER ROLE prebuilds_messaging PASSWORD '…'"
--
-- The role can then run `migrate` (without --with-recommended-index, which needs the owner of
-- template_version_presets) and the worker, and nothing else: no CREATE on the database, no access to users.
\if :{?role}
\else
  \set role prebuilds_messaging
\endif

CREATE ROLE :"role" LOGIN;

-- The service's own schema (migration journal, scheduler tables), owned by the role.
CREATE SCHEMA prebuilds_messaging AUTHORIZATION :"role";

-- What the status query reads.
GRANT SELECT ON organizations, organization_members, groups, group_members,
                templates, template_versions, template_version_presets TO :"role";

-- What the service writes: the membership, the group, the group membership. Nothing is updated or deleted.
GRANT INSERT ON organization_members, groups, group_members TO :"role";

-- Coder's pause of prebuilds reconciliation, through a function that returns only that boolean.
\ir coder-prebuilds-settings.sql
