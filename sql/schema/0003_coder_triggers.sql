-- Development and test schema: Coder's triggers on the tables of 0001_coder_tables.sql, from coder/coder
-- coderd/database/dump.sql, so that the service is tested against what Coder's database enforces.
--
--   * protect_deleting_organizations: an organization cannot be soft-deleted while it has templates that are not
--     deleted, groups other than Everyone, or more than one member (its owner). Coder's function also counts
--     workspaces and provisioner keys; those tables are not reproduced here (the service never reads them), so
--     their counts are left out.
--   * trigger_delete_group_members_on_org_member_delete: a member removed from an organization leaves its groups.
--
-- Applied only by `migrate --with-dev-schema`; in production these are Coder's own.

CREATE FUNCTION protect_deleting_organizations() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    template_count int;
    group_count int;
    member_count int;
BEGIN
    template_count := (
        SELECT count(*) as count FROM templates
        WHERE
            templates.organization_id = OLD.id
            AND templates.deleted = false
    );

    group_count := (
        SELECT count(*) as count FROM groups
        WHERE
            groups.organization_id = OLD.id
    );

    member_count := (
        SELECT
            count(*) AS count
        FROM
            organization_members
        LEFT JOIN users ON users.id = organization_members.user_id
        WHERE
            organization_members.organization_id = OLD.id
            AND users.deleted = FALSE
    );

    IF template_count > 0 THEN
        RAISE EXCEPTION 'cannot delete organization: organization has % templates that must be deleted first', template_count;
    END IF;

    IF (group_count) > 1 THEN
            RAISE EXCEPTION 'cannot delete organization: organization has % groups that must be deleted first', group_count - 1;
    END IF;

    IF (member_count) > 1 THEN
            RAISE EXCEPTION 'cannot delete organization: organization has % members that must be deleted first', member_count - 1;
    END IF;

    RETURN NEW;
END;
$$;

CREATE TRIGGER protect_deleting_organizations BEFORE UPDATE ON organizations FOR EACH ROW
    WHEN (((new.deleted = true) AND (old.deleted = false))) EXECUTE FUNCTION protect_deleting_organizations();

CREATE FUNCTION delete_group_members_on_org_member_delete() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
BEGIN
	-- Remove the user from all groups associated with the same
	-- organization as the organization_member being deleted.
	DELETE FROM group_members
	WHERE
		user_id = OLD.user_id
		AND group_id IN (
			SELECT id
			FROM groups
			WHERE organization_id = OLD.organization_id
		);
	RETURN OLD;
END;
$$;

CREATE TRIGGER trigger_delete_group_members_on_org_member_delete BEFORE DELETE ON organization_members FOR EACH ROW
    EXECUTE FUNCTION delete_group_members_on_org_member_delete();
