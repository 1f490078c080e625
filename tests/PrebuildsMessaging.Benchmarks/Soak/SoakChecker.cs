using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;
using PrebuildsMessaging.Core.Configuration;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>
/// The soak's checker, during the soak: every 500 ms it reads which organizations need the setup and miss some of
/// it (sql/benchmarks/SoakChecks.sql), so that none stays so for more than 30 s past the healing of the latest fault,
/// and so that each fault's convergence time is known. Every 20 s it reads what was written to the three tables the
/// service writes, from a logical decoding slot of its own (test_decoding), so that each row the service wrote is
/// counted.
/// </summary>
internal sealed partial class SoakChecker(SoakSettings settings, NpgsqlDataSource dataSource, SoakFaults faults, Stopwatch clock)
{
    public const string AuditSlot = "prebuilds_soak_audit";
    private readonly PrebuildsOptions prebuilds = new();
    private readonly Dictionary<Guid, TimeSpan> unconverged = [];
    private readonly HashSet<Guid> reported = [];
    private readonly Dictionary<Guid, Guid> groupOrganizations = [];
    private readonly Lock gate = new();

    /// <summary>Organizations that stayed unconverged for more than 30 s past the latest healing, with when and how long.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Rows the service wrote, by organization and part (every row of the prebuilds user or group is the service's: the workload writes none).</summary>
    public Dictionary<(Guid Organization, SetupPart Part), int> Written { get; } = [];

    public int Polls { get; private set; }

    public int FailedPolls { get; private set; }

    /// <summary>The longest an organization was seen unconverged, and the longest past the latest healing with no fault active.</summary>
    public TimeSpan LongestUnconverged { get; private set; }

    public TimeSpan LongestPastHealing { get; private set; }

    public int Unconverged
    {
        get
        {
            lock (gate)
            {
                return unconverged.Count;
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var audited = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            await PollAsync();
            if (audited.Elapsed > TimeSpan.FromSeconds(20))
            {
                await ReadAuditAsync();
                audited.Restart();
            }

            try
            {
                await Task.Delay(500, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Polls until no organization is unconverged; the time from <paramref name="from"/>, or null after the timeout.</summary>
    public async Task<TimeSpan?> WaitConvergedAsync(TimeSpan from, TimeSpan timeout)
    {
        while (clock.Elapsed - from < timeout)
        {
            if (await PollAsync() && Unconverged == 0)
            {
                return clock.Elapsed - from;
            }

            await Task.Delay(100);
        }

        return null;
    }

    /// <summary>One look; false when the database did not answer.</summary>
    public async Task<bool> PollAsync()
    {
        List<Guid> now;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            now = (await connection.QueryAsync<Guid>(BenchmarkSql.Query("SoakChecks", "Unconverged"), new { prebuilds.UserId, prebuilds.GroupName })).ToList();
        }
        catch (Exception ex) when (SoakWorkload.IsDatabaseAway(ex))
        {
            FailedPolls++;
            return false;
        }

        var at = clock.Elapsed;
        lock (gate)
        {
            Polls++;
            var seen = now.ToHashSet();
            foreach (var organization in unconverged.Keys.Where(o => !seen.Contains(o)).ToList())
            {
                LongestUnconverged = Max(LongestUnconverged, at - unconverged[organization]);
                unconverged.Remove(organization);
            }

            foreach (var organization in now)
            {
                unconverged.TryAdd(organization, at);
            }

            // Past the latest healing, with no fault active: no organization unconverged for more than 30 s.
            if (!faults.AnyActive)
            {
                var healed = faults.LastHealed;
                foreach (var (organization, since) in unconverged)
                {
                    var past = at - Max(since, healed);
                    LongestPastHealing = Max(LongestPastHealing, past);
                    if (past > settings.NeverUnconvergedFor && reported.Add(organization))
                    {
                        Violations.Add(string.Create(CultureInfo.InvariantCulture,
                            $"organization {organization} unconverged since {since:mm\\:ss}, {past.TotalSeconds:F0} s past the latest healing ({healed:mm\\:ss}) at {at:mm\\:ss}"));
                    }
                }
            }

            // Each fault's convergence: every organization unconverged at its healing has converged since.
            foreach (var record in faults.Records.Where(r => r.Healed is not null && r.ConvergedAfter is null))
            {
                record.UnconvergedAtHeal ??= [.. unconverged.Keys];
                if (!record.UnconvergedAtHeal.Any(unconverged.ContainsKey))
                {
                    record.ConvergedAfter = at - record.Healed!.Value;
                }
            }
        }

        return true;
    }

    /// <summary>What the audit slot decoded since the last read: the inserts of the prebuilds user's rows and the prebuilds group.</summary>
    public async Task ReadAuditAsync()
    {
        List<string> changes;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            changes = (await connection.QueryAsync<string>(BenchmarkSql.Query("SoakChecks", "ReadAudit"), new { Slot = AuditSlot }, commandTimeout: 300)).ToList();
        }
        catch (Exception ex) when (SoakWorkload.IsDatabaseAway(ex))
        {
            return; // read next time: the slot keeps what it has not handed out
        }

        var user = prebuilds.UserId.ToString();
        lock (gate)
        {
            // Groups first: in one statement's WAL a group's membership may come before the group itself.
            var memberships = new List<Guid>();
            foreach (var change in changes)
            {
                var columns = Column().Matches(change).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["value"].Value, StringComparer.Ordinal);
                if (change.StartsWith("table public.organization_members: INSERT:", StringComparison.Ordinal) && columns.GetValueOrDefault("user_id") == user)
                {
                    Add(Guid.Parse(columns["organization_id"]), SetupPart.Membership);
                }
                else if (change.StartsWith("table public.groups: INSERT:", StringComparison.Ordinal) && columns.GetValueOrDefault("name") == prebuilds.GroupName)
                {
                    var organization = Guid.Parse(columns["organization_id"]);
                    groupOrganizations[Guid.Parse(columns["id"])] = organization;
                    Add(organization, SetupPart.Group);
                }
                else if (change.StartsWith("table public.group_members: INSERT:", StringComparison.Ordinal) && columns.GetValueOrDefault("user_id") == user)
                {
                    memberships.Add(Guid.Parse(columns["group_id"]));
                }
            }

            foreach (var group in memberships)
            {
                Add(groupOrganizations.GetValueOrDefault(group), SetupPart.GroupMembership);
            }
        }
    }

    private void Add(Guid organization, SetupPart part) => Written[(organization, part)] = Written.GetValueOrDefault((organization, part)) + 1;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // test_decoding's "name[type]:'value'" (uuids and these names hold no quote)
    [GeneratedRegex(@"(?<name>\w+)\[[^\]]+\]:'(?<value>[^']*)'")]
    private static partial Regex Column();
}
