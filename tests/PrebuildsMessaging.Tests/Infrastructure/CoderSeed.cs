using Dapper;
using Npgsql;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>Writes Coder rows the way Coder would, for tests: organizations, templates, versions, presets, memberships, groups.</summary>
public sealed class CoderSeed(NpgsqlDataSource dataSource)
{
    private Guid? adminUserId;

    public async Task<Guid> OrganizationAsync(string? name = null, bool deleted = false)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(
            """
            INSERT INTO organizations (id, name, description, created_at, updated_at, display_name, deleted)
            VALUES (@id, @name, '', now(), now(), @name, @deleted)
            """, new { id, name = name ?? $"org-{id:N}"[..20], deleted });
        return id;
    }

    /// <summary>An organization with one template, version and preset that asks for prebuilds, and none of the setup.</summary>
    public async Task<Guid> OrganizationWithPrebuildsAsync(string? name = null)
    {
        var organization = await OrganizationAsync(name);
        await TemplatesAsync(organization, desiredInstances: 1);
        return organization;
    }

    /// <summary>That many organizations like <see cref="OrganizationWithPrebuildsAsync"/>, in one statement.</summary>
    public async Task<List<Guid>> OrganizationsWithPrebuildsAsync(int count)
    {
        var createdBy = await AdminUserAsync();
        await using var connection = await dataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<Guid>(
            """
            WITH o AS (
                INSERT INTO organizations (id, name, description, created_at, updated_at, display_name, deleted)
                SELECT gen_random_uuid(), 'org-' || left(md5(random()::text), 16), '', now(), now(), 'org', false
                FROM generate_series(1, @count)
                RETURNING id
            ), t AS (
                INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
                SELECT gen_random_uuid(), now(), now(), o.id, 'tpl', 'terraform', gen_random_uuid(), @createdBy FROM o
                RETURNING id, organization_id
            ), v AS (
                INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
                SELECT gen_random_uuid(), t.id, t.organization_id, now(), now(), 'v1', '', gen_random_uuid(), @createdBy FROM t
                RETURNING id
            ), p AS (
                INSERT INTO template_version_presets (template_version_id, name, desired_instances)
                SELECT v.id, 'preset', 1 FROM v
            )
            SELECT id FROM o
            """, new { count, createdBy })).ToList();
    }

    /// <summary>Templates × versions × presets in one organization; desiredInstances null means presets without prebuilds.</summary>
    public async Task TemplatesAsync(Guid organizationId, int templates = 1, int versions = 1, int presets = 1, int? desiredInstances = 1)
    {
        var createdBy = await AdminUserAsync();
        var prefix = $"t{Guid.NewGuid():N}"[..12];
        await ExecuteAsync(
            """
            INSERT INTO templates (id, created_at, updated_at, organization_id, name, provisioner, active_version_id, created_by)
            SELECT gen_random_uuid(), now(), now(), @organizationId, @prefix || '-' || t, 'terraform', gen_random_uuid(), @createdBy
            FROM generate_series(1, @templates) t;

            INSERT INTO template_versions (id, template_id, organization_id, created_at, updated_at, name, readme, job_id, created_by)
            SELECT gen_random_uuid(), tp.id, tp.organization_id, now(), now(), 'v' || v, '', gen_random_uuid(), @createdBy
            FROM templates tp CROSS JOIN generate_series(1, @versions) v
            WHERE tp.organization_id = @organizationId AND tp.name LIKE @prefix || '-%';

            INSERT INTO template_version_presets (template_version_id, name, desired_instances)
            SELECT tv.id, 'preset-' || p, @desiredInstances
            FROM template_versions tv
            JOIN templates tp ON tp.id = tv.template_id
            CROSS JOIN generate_series(1, @presets) p
            WHERE tp.organization_id = @organizationId AND tp.name LIKE @prefix || '-%';
            """, new { organizationId, prefix, createdBy, templates, versions, presets, desiredInstances });
    }

    public Task MembershipAsync(Guid organizationId, Guid userId) => ExecuteAsync(
        "INSERT INTO organization_members (organization_id, user_id, created_at, updated_at) VALUES (@organizationId, @userId, now(), now())",
        new { organizationId, userId });

    public async Task<Guid> GroupAsync(Guid organizationId, string name = "coderprebuiltworkspaces")
    {
        var id = Guid.NewGuid();
        await ExecuteAsync("INSERT INTO groups (id, name, organization_id) VALUES (@id, @name, @organizationId)", new { id, name, organizationId });
        return id;
    }

    public Task GroupMemberAsync(Guid groupId, Guid userId) => ExecuteAsync(
        "INSERT INTO group_members (user_id, group_id) VALUES (@userId, @groupId)", new { userId, groupId });

    /// <summary>
    /// Makes the database refuse a prebuilds group for these organizations (a test-only trigger that raises a
    /// check violation): an error that belongs to one organization and is not transient.
    /// </summary>
    public Task RefuseGroupsAsync(params Guid[] organizationIds) => ExecuteAsync("""
        CREATE FUNCTION test_refuse_group() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.organization_id = ANY (TG_ARGV::uuid[]) THEN
                RAISE EXCEPTION 'test: organization % refuses its group', NEW.organization_id USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$;
        """ + $"CREATE TRIGGER test_refuse_group BEFORE INSERT ON groups FOR EACH ROW EXECUTE FUNCTION test_refuse_group({string.Join(", ", organizationIds.Select(id => $"'{id}'"))});", new { });

    /// <summary>Every prebuilds group inserted for these organizations silently disappears (a BEFORE trigger that returns NULL), as if deleted at once.</summary>
    public Task SwallowGroupsAsync(params Guid[] organizationIds) => ExecuteAsync("""
        CREATE FUNCTION test_swallow_group() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.organization_id = ANY (TG_ARGV::uuid[]) THEN
                RETURN NULL;
            END IF;
            RETURN NEW;
        END $$;
        """ + $"CREATE TRIGGER test_swallow_group BEFORE INSERT ON groups FOR EACH ROW EXECUTE FUNCTION test_swallow_group({string.Join(", ", organizationIds.Select(id => $"'{id}'"))});", new { });

    public Task DeleteOrganizationAsync(Guid organizationId) =>
        ExecuteAsync("DELETE FROM organizations WHERE id = @organizationId", new { organizationId });

    /// <summary>Whether the user is a member of the organization (the primary key allows one row at most).</summary>
    public async Task<bool> HasMembershipAsync(Guid organizationId, Guid userId) => await CountAsync(
        "SELECT count(*) FROM organization_members WHERE organization_id = @organizationId AND user_id = @userId", new { organizationId, userId }) == 1;

    public Task<int> GroupCountAsync(Guid organizationId) =>
        CountAsync("SELECT count(*) FROM groups WHERE organization_id = @organizationId", new { organizationId });

    /// <summary>The user is a member, the organization has one group (the prebuilds group), and the user is in that group alone.</summary>
    public async Task<bool> ConvergedAsync(Guid organizationId, Guid userId) =>
        await HasMembershipAsync(organizationId, userId)
        && await GroupCountAsync(organizationId) == 1
        && await GroupMemberCountAsync(organizationId, userId) == 1;

    public Task<int> GroupMemberCountAsync(Guid organizationId, Guid userId) => CountAsync(
        "SELECT count(*) FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE g.organization_id = @organizationId AND gm.user_id = @userId",
        new { organizationId, userId });

    public async Task<GroupRow?> PrebuildsGroupAsync(Guid organizationId, string name = "coderprebuiltworkspaces")
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<GroupRow>(
            "SELECT id AS Id, name AS Name, display_name AS DisplayName, avatar_url AS AvatarUrl, quota_allowance AS QuotaAllowance FROM groups WHERE organization_id = @organizationId AND name = @name",
            new { organizationId, name });
    }

    public async Task<DateTimeOffset> MembershipCreatedAtAsync(Guid organizationId, Guid userId)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        // Npgsql reads timestamptz as a UTC DateTime.
        var createdAt = await connection.QuerySingleAsync<DateTime>(
            "SELECT created_at FROM organization_members WHERE organization_id = @organizationId AND user_id = @userId", new { organizationId, userId });
        return new DateTimeOffset(createdAt, TimeSpan.Zero);
    }

    /// <summary>A user row with this id, e.g. a prebuilds user created after the fact.</summary>
    public Task UserAsync(Guid id, string prefix = "user") => ExecuteAsync(
        """
        INSERT INTO users (id, email, username, hashed_password, created_at, updated_at, status, login_type)
        VALUES (@id, @email, @username, '\x00', now(), now(), 'active', 'password')
        """, new { id, email = $"{prefix}-{id:N}@example.com", username = $"{prefix}-{id:N}"[..20] });

    private async Task<Guid> AdminUserAsync()
    {
        if (adminUserId is { } existing)
        {
            return existing;
        }

        var id = Guid.NewGuid();
        await UserAsync(id, "admin");
        adminUserId = id;
        return id;
    }

    private async Task<int> CountAsync(string sql, object parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>(sql, parameters);
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }
}

public sealed record GroupRow(Guid Id, string Name, string DisplayName, string AvatarUrl, int QuotaAllowance);
