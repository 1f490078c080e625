using System.Diagnostics;
using System.Globalization;
using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>The parts of the prebuilds setup, as the workload removes them and the service writes them.</summary>
internal enum SetupPart
{
    Membership,
    Group,
    GroupMembership,
}

/// <summary>
/// Coder's own writes at a steady rate (sql/benchmarks/SoakWorkload.sql), as coderd makes them: organizations created
/// with their owner and Everyone group; template versions with presets, attached to templates afterwards; presets
/// added and their desired_instances changed; drift (the prebuilds user's membership or the prebuilds group deleted);
/// organizations deleted as an administrator must, templates first, then the groups and members the trigger
/// protect_deleting_organizations counts. Which write comes next is drawn from the seed.
/// <para>
/// A write that fails because PostgreSQL is away (a connection error, an administrator's or crash shutdown) is tried
/// again, as Coder's callers retry; a unique violation on that retry means the first attempt had committed. Any other
/// error is one of Coder's writes failing, which the checker reports.
/// </para>
/// </summary>
internal sealed class SoakWorkload(SoakSettings settings, NpgsqlDataSource dataSource, Stopwatch clock)
{
    private const int Owners = 10;
    private readonly Random random = new(settings.Seed ^ 0x5eed);
    private readonly PrebuildsOptions prebuilds = new();
    private readonly List<Organization> organizations = [];
    private readonly List<(TimeSpan Due, Organization Organization)> deletions = [];
    private readonly Lock gate = new();
    private long transactions;
    private long retried;
    private int created;

    /// <summary>Coder's writes that failed for a reason other than the database being away.</summary>
    public List<string> Failures { get; } = [];

    public long Transactions => Interlocked.Read(ref transactions);

    /// <summary>Attempts that met the database away and were tried again.</summary>
    public long Retried => Interlocked.Read(ref retried);

    public int DriftWrites { get; private set; }

    public int DeletedOrganizations { get; private set; }

    /// <summary>Organizations that never had a preset asking for prebuilds: the service must write nothing there.</summary>
    public IReadOnlyList<Guid> NeverNeeded
    {
        get
        {
            lock (gate)
            {
                return organizations.Where(o => o.NeverNeeds).Select(o => o.Id).ToList();
            }
        }
    }

    /// <summary>How often the workload removed a part of the setup in an organization (what the service may write back).</summary>
    public int Removed(Guid organization, SetupPart part)
    {
        lock (gate)
        {
            return organizations.FirstOrDefault(o => o.Id == organization)?.Removed[(int)part] ?? 0;
        }
    }

    /// <summary>Live organizations, for the bursts of events.</summary>
    public IReadOnlyList<Guid> Live
    {
        get
        {
            lock (gate)
            {
                return organizations.Where(o => !o.Deleted).Select(o => o.Id).ToList();
            }
        }
    }

    public async Task SeedAsync()
    {
        await ExecuteAsync("SeedOwners", new { Owners });
    }

    /// <summary>Writes at the rate until cancelled; an organization's deletion already begun is finished first.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = clock.Elapsed;
        for (long n = 0; !cancellationToken.IsCancellationRequested; n++)
        {
            var due = started + TimeSpan.FromSeconds(n / (double)settings.Rate) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(due, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            if (deletions.Count > 0 && deletions[0].Due <= clock.Elapsed)
            {
                var (_, organization) = deletions[0];
                deletions.RemoveAt(0);
                await FinishDeletionAsync(organization);
                continue;
            }

            await NextAsync();
        }

        foreach (var (_, organization) in deletions)
        {
            await FinishDeletionAsync(organization);
        }

        deletions.Clear();
    }

    private async Task NextAsync()
    {
        var live = organizations.Where(o => !o.Deleting).ToList();
        var roll = random.Next(100);
        if (live.Count < 5 || roll < 14)
        {
            await CreateOrganizationAsync();
        }
        else if (roll < 34)
        {
            await CreateVersionAsync(live[random.Next(live.Count)]);
        }
        else if (roll < 54 && Pick(live.Where(o => o.PendingVersions.Count > 0).ToList()) is { } withPending)
        {
            await AttachVersionAsync(withPending);
        }
        else if (roll < 66 && Pick(live.Where(o => o.AttachedVersions.Count > 0).ToList()) is { } withVersions)
        {
            var version = withVersions.AttachedVersions[random.Next(withVersions.AttachedVersions.Count)];
            var preset = NewId();
            if (await ExecuteAsync("InsertPreset", new { Id = preset, VersionId = version, Name = $"added-{created++}", Desired = Desired(withVersions) }) >= 0)
            {
                withVersions.Presets.Add(preset);
            }
        }
        else if (roll < 82 && Pick(live.Where(o => o.Presets.Count > 0).ToList()) is { } withPresets)
        {
            var preset = withPresets.Presets[random.Next(withPresets.Presets.Count)];
            await ExecuteAsync("UpdatePresetDesiredInstances", new { Id = preset, Desired = Desired(withPresets, allowNone: true) });
        }
        else if (roll < 95 && Pick(live.Where(o => !o.NeverNeeds && o.Templates.Count > 0).ToList()) is { } drifting)
        {
            DriftWrites++;
            if (random.Next(2) == 0)
            {
                // Coder's trigger removes the user from the organization's groups with it.
                if (await ExecuteAsync("DeleteOrganizationMember", new { OrganizationId = drifting.Id, UserId = prebuilds.UserId }) > 0)
                {
                    Count(drifting, SetupPart.Membership, SetupPart.GroupMembership);
                }
            }
            else if (await ExecuteAsync("DeleteGroupByName", new { OrganizationId = drifting.Id, Name = prebuilds.GroupName }) > 0)
            {
                Count(drifting, SetupPart.Group, SetupPart.GroupMembership);
            }
        }
        else if (Pick(live.Where(o => o.Templates.Count > 0).ToList()) is { } deleting)
        {
            await BeginDeletionAsync(deleting);
        }
        else
        {
            await CreateOrganizationAsync();
        }
    }

    private async Task CreateOrganizationAsync()
    {
        var organization = new Organization(NewId(), OwnerId(random.Next(1, Owners + 1)), NeverNeeds: random.Next(100) < 15);
        if (await ExecuteAsync("CreateOrganization", new { organization.Id, Name = $"soak-{created++}", organization.Owner }) >= 0)
        {
            lock (gate)
            {
                organizations.Add(organization);
            }
        }
    }

    private async Task CreateVersionAsync(Organization organization)
    {
        var version = NewId();
        var count = random.Next(1, 4);
        var presets = Enumerable.Range(0, count).Select(_ => NewId()).ToArray();
        var desired = Enumerable.Range(0, count).Select(_ => Desired(organization)).ToArray();
        if (await ExecuteAsync("CreateTemplateVersionWithPresets", new { Id = version, OrganizationId = organization.Id, Name = $"v-{created++}", organization.Owner, PresetIds = presets, Desired = desired }) >= 0)
        {
            organization.PendingVersions.Add(version);
            organization.Presets.AddRange(presets);
        }
    }

    private async Task AttachVersionAsync(Organization organization)
    {
        var version = organization.PendingVersions[0];
        organization.PendingVersions.RemoveAt(0);
        if (organization.Templates.Count == 0 || random.Next(100) < 30)
        {
            var template = NewId();
            if (await ExecuteAsync("CreateTemplateFromVersion", new { TemplateId = template, OrganizationId = organization.Id, Name = $"t-{created++}", VersionId = version, organization.Owner }) >= 0)
            {
                organization.Templates.Add(template);
                organization.AttachedVersions.Add(version);
            }
        }
        else if (await ExecuteAsync("AttachVersionToTemplate", new { TemplateId = organization.Templates[random.Next(organization.Templates.Count)], VersionId = version }) >= 0)
        {
            organization.AttachedVersions.Add(version);
        }
    }

    /// <summary>The templates first, each as its own deletion; the rest a moment later, as an administrator would.</summary>
    private async Task BeginDeletionAsync(Organization organization)
    {
        organization.Deleting = true;
        foreach (var template in organization.Templates)
        {
            await ExecuteAsync("UpdateTemplateDeletedByID", new { Id = template });
        }

        deletions.Add((clock.Elapsed + TimeSpan.FromMilliseconds(random.Next(200, 3000)), organization));
        deletions.Sort((a, b) => a.Due.CompareTo(b.Due));
    }

    /// <summary>What the administrator sees in the organization, each removed, then the organization itself.</summary>
    private async Task FinishDeletionAsync(Organization organization)
    {
        foreach (var group in await QueryAsync<string>("GetGroupsToDelete", new { OrganizationId = organization.Id }))
        {
            if (await ExecuteAsync("DeleteGroupByName", new { OrganizationId = organization.Id, Name = group }) > 0 && group == prebuilds.GroupName)
            {
                Count(organization, SetupPart.Group, SetupPart.GroupMembership);
            }
        }

        foreach (var member in await QueryAsync<Guid>("GetMembersToRemove", new { OrganizationId = organization.Id, organization.Owner }))
        {
            if (await ExecuteAsync("DeleteOrganizationMember", new { OrganizationId = organization.Id, UserId = member }) > 0 && member == prebuilds.UserId)
            {
                Count(organization, SetupPart.Membership, SetupPart.GroupMembership);
            }
        }

        if (await ExecuteAsync("UpdateOrganizationDeletedByID", new { organization.Id }) >= 0)
        {
            organization.Deleted = true;
            DeletedOrganizations++;
        }
    }

    private void Count(Organization organization, params SetupPart[] parts)
    {
        lock (gate)
        {
            foreach (var part in parts)
            {
                organization.Removed[(int)part]++;
            }
        }
    }

    private int? Desired(Organization organization, bool allowNone = false) =>
        organization.NeverNeeds || (allowNone && random.Next(100) < 20) || (!allowNone && random.Next(100) < 15) ? null : random.Next(1, 4);

    private T? Pick<T>(IReadOnlyList<T> items) where T : class => items.Count == 0 ? null : items[random.Next(items.Count)];

    private Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private static Guid OwnerId(int n) => Guid.Parse(string.Create(CultureInfo.InvariantCulture, $"00000000-0000-0000-0000-{n:x12}"));

    /// <summary>Rows affected, or -1 when the write failed for a reason other than the database being away.</summary>
    private Task<int> ExecuteAsync(string query, object parameters) =>
        WithRetryAsync(query, async connection => await connection.ExecuteAsync(BenchmarkSql.Query("SoakWorkload", query), parameters), -1);

    private Task<IReadOnlyList<T>> QueryAsync<T>(string query, object parameters) =>
        WithRetryAsync<IReadOnlyList<T>>(query, async connection => (await connection.QueryAsync<T>(BenchmarkSql.Query("SoakWorkload", query), parameters)).ToList(), []);

    private async Task<T> WithRetryAsync<T>(string query, Func<NpgsqlConnection, Task<T>> run, T failed)
    {
        var interrupted = false;
        var trying = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync();
                var result = await run(connection);
                Interlocked.Increment(ref transactions);
                return result;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && interrupted)
            {
                return failed is int ? (T)(object)0 : failed; // the interrupted attempt had committed
            }
            catch (Exception ex) when (IsDatabaseAway(ex) && trying.Elapsed < TimeSpan.FromMinutes(3))
            {
                interrupted = true;
                Interlocked.Increment(ref retried);
                await Task.Delay(200);
            }
            catch (PostgresException ex)
            {
                lock (gate)
                {
                    Failures.Add(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed:mm\\:ss\\.fff} {query}: {ex.SqlState} {ex.MessageText}"));
                }

                return failed;
            }
        }
    }

    /// <summary>PostgreSQL away: the connection broken or refused, or the server shutting down or starting.</summary>
    public static bool IsDatabaseAway(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03",
        NpgsqlException => true, // a socket error or timeout: no answer from the server
        TimeoutException => true,
        _ => false,
    };

    private sealed record Organization(Guid Id, Guid Owner, bool NeverNeeds)
    {
        public List<Guid> Templates { get; } = [];

        public List<Guid> PendingVersions { get; } = [];

        public List<Guid> AttachedVersions { get; } = [];

        public List<Guid> Presets { get; } = [];

        public int[] Removed { get; } = new int[3];

        public bool Deleting { get; set; }

        public bool Deleted { get; set; }
    }
}
