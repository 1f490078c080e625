using System.Globalization;
using System.Text;

namespace PrebuildsMessaging.Benchmarks.Soak;

/// <summary>The soak's report: the seed, each fault with its times and the convergence after it, the counts, and each check passed or failed.</summary>
internal static class SoakReport
{
    public sealed record Counts(long Organizations, long DeletedOrganizations, long Needing, long Presets, long Memberships, long Groups, long GroupMemberships);

    public sealed class Result(SoakSettings settings, IReadOnlyList<PlannedFault> plan, IReadOnlyList<FaultRecord> faults, TimeSpan healed, TimeSpan? converged)
    {
        public SoakSettings Settings { get; } = settings;

        public IReadOnlyList<PlannedFault> Plan { get; } = plan;

        public IReadOnlyList<FaultRecord> Faults { get; } = faults;

        public TimeSpan Healed { get; } = healed;

        public TimeSpan? Converged { get; } = converged;

        public long WaitingMessages { get; set; }

        public List<(string Queue, bool BadInput, string Reason)> ErrorQueueMessages { get; } = [];

        public Counts? Counts { get; set; }

        public List<(Guid Organization, bool Deleted)> SetupWhereNotNeeded { get; set; } = [];

        public TimeSpan IdleWindow { get; set; }

        public int IdlePasses { get; set; }

        public List<(long Calls, string Text, string Kind)> IdleStatements { get; set; } = [];

        public List<(string Check, bool Passed, string Detail)> Checks { get; } = [];

        public bool Passed => Checks.All(c => c.Passed);

        public void Evaluate(SoakWorkload workload, SoakChecker checker, SoakWorkers workers)
        {
            static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
            Checks.Add(("every organization that needs the setup converged within 15 s of the last healing",
                Converged is { } c && c <= Settings.ConvergedWithin,
                Converged is { } t ? F($"{t.TotalSeconds:F1} s") : F($"not within 120 s ({checker.Unconverged} unconverged)")));
            Checks.Add(("no organization unconverged for more than 30 s past the latest healing",
                checker.Violations.Count == 0,
                F($"longest past a healing {checker.LongestPastHealing.TotalSeconds:F1} s; longest unconverged at all {checker.LongestUnconverged.TotalSeconds:F1} s; {checker.Polls:N0} looks ({checker.FailedPolls} while the database was away)")
                + string.Concat(checker.Violations.Take(10).Select(v => "\n      " + v))));
            var twice = checker.Written.Where(w => w.Value > 1 + workload.Removed(w.Key.Organization, w.Key.Part)).ToList();
            Checks.Add(("no row written twice (each row the service wrote at most once, plus once per removal the workload made)",
                twice.Count == 0 && !checker.Written.Keys.Any(k => k.Organization == Guid.Empty),
                F($"{checker.Written.Where(w => w.Key.Part == SetupPart.Membership).Sum(w => w.Value):N0} memberships, {checker.Written.Where(w => w.Key.Part == SetupPart.Group).Sum(w => w.Value):N0} groups, {checker.Written.Where(w => w.Key.Part == SetupPart.GroupMembership).Sum(w => w.Value):N0} group memberships written")
                + string.Concat(twice.Take(10).Select(w => F($"\n      {w.Key.Organization} {w.Key.Part}: written {w.Value}×, removed {workload.Removed(w.Key.Organization, w.Key.Part)}×")))));
            var never = workload.NeverNeeded.ToHashSet();
            var writtenWhereNever = checker.Written.Keys.Where(k => never.Contains(k.Organization)).Select(k => k.Organization).Distinct().ToList();
            Checks.Add(("nothing written for an organization without prebuild presets, nor left in a deleted one",
                SetupWhereNotNeeded.Count == 0 && writtenWhereNever.Count == 0,
                F($"{never.Count} organizations never had one; {SetupWhereNotNeeded.Count} hold some setup ({SetupWhereNotNeeded.Count(s => s.Deleted)} of them deleted); {writtenWhereNever.Count} were written to")));
            var infrastructure = ErrorQueueMessages.Where(m => !m.BadInput).ToList();
            Checks.Add(("every error queue empty, or holding bad input only; every queue drained",
                infrastructure.Count == 0 && WaitingMessages == 0,
                F($"{ErrorQueueMessages.Count} messages in error queues, {infrastructure.Count} not bad input; {WaitingMessages} still waiting in the service's queues")
                + string.Concat(infrastructure.Take(10).Select(m => $"\n      {m.Queue}: {m.Reason}"))));
            Checks.Add(("none of Coder's own writes failed",
                workload.Failures.Count == 0,
                F($"{workload.Transactions:N0} transactions, {workload.Retried:N0} attempts retried while the database was away, {workload.Failures.Count} failed")
                + string.Concat(workload.Failures.Take(10).Select(f => "\n      " + f))));
            Checks.Add(("no worker exited on its own",
                workers.UnexpectedExits.Count == 0,
                F($"{workers.UnexpectedExits.Count}") + string.Concat(workers.UnexpectedExits.Take(10).Select(e => "\n      " + e))));
            var measured = workers.Lifetimes
                .Where(l => l.Ended is null && Settings.Duration >= TimeSpan.FromMinutes(10) && l.Started <= TimeSpan.FromMinutes(5))
                .Select(l => (l, From: l.Rss.FirstOrDefault(s => s.At >= TimeSpan.FromMinutes(5)), To: l.Rss.LastOrDefault(s => s.At <= Settings.Duration)))
                .Where(x => x.From.Bytes > 0 && x.To.Bytes > 0)
                .ToList();
            Checks.Add(("each worker's RSS grows by at most 10% from minute 5 to the end",
                measured.All(x => x.To.Bytes <= x.From.Bytes * 1.10),
                measured.Count == 0
                    ? "not measured: no worker process lived from minute 5 to the end (the soak is shorter than 10 minutes, or every process was restarted)"
                    : string.Join("; ", measured.Select(x => F($"worker {x.l.Worker + 1} (pid {x.l.Pid}) {x.From.Bytes / 1048576.0:F0} MB at {x.From.At:mm\\:ss} → {x.To.Bytes / 1048576.0:F0} MB at {x.To.At:mm\\:ss} ({(x.To.Bytes / (double)x.From.Bytes - 1) * 100:+0.0;-0.0}%); GC heap after the last collection {Heap(x.l, x.From.At)} → {Heap(x.l, x.To.At)}")))
                    + " (every 10 s in memory.csv)"));
            var coder = IdleStatements.Where(s => s.Kind == "coder").Sum(s => s.Calls);
            var quartz = IdleStatements.Where(s => s.Kind == "quartz").Sum(s => s.Calls);
            var bookkeeping = IdleStatements.Where(s => s.Kind == "bookkeeping").Sum(s => s.Calls);
            var minutes = Math.Max(IdleWindow.TotalMinutes, 1e-9);
            Checks.Add(("at idle, converged: at most one statement on Coder's tables per scheduled pass",
                Settings.Idle == TimeSpan.Zero || coder <= IdlePasses,
                Settings.Idle == TimeSpan.Zero ? "not measured (--idle-seconds 0)"
                    : F($"{coder} on Coder's tables and {IdlePasses} scheduled passes in {IdleWindow.TotalSeconds:F0} s; besides, {quartz / minutes:F1} a minute of Quartz's clustered store and {bookkeeping / minutes:F1} a minute of the service's own catalog reads (slot lag, index state)")
                      + string.Concat(IdleStatements.Take(12).Select(s => F($"\n      {s.Calls}× ({s.Kind}) {s.Text}")))));
        }
    }

    /// <summary>The GC heap sampled nearest to a time, in MB.</summary>
    private static string Heap(SoakWorkers.Lifetime lifetime, TimeSpan at) => lifetime.GcHeap.Count == 0
        ? "n/a"
        : (lifetime.GcHeap.MinBy(s => (s.At - at).Duration()).Bytes / 1048576.0).ToString("F0", CultureInfo.InvariantCulture) + " MB";

    public static string Write(Result result, SoakWorkload workload, SoakChecker checker, SoakWorkers workers, SoakBursts bursts)
    {
        static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        var report = new StringBuilder();
        var s = result.Settings;
        report.AppendLine();
        report.AppendLine(F($"Fault soak, seed {s.Seed}: {s.Duration.TotalMinutes:F0} min, {s.Rate} transactions a second, {SoakSettings.Workers} workers with the change feed, a 3-node RabbitMQ cluster (quorum queues), PostgreSQL with fsync on"));
        report.AppendLine(F($"Replay: soak.sh --seed {s.Seed} --minutes {s.Duration.TotalMinutes:0.##}"));
        report.AppendLine("Faults (started, healed, convergence after the healing):");
        foreach (var f in result.Faults)
        {
            var converged = f.ConvergedAfter is { } c ? F($"converged {c.TotalSeconds:F1} s after") : "converged with the end";
            report.AppendLine(F($"  {f.Started:mm\\:ss} → {f.Healed:mm\\:ss}  {f.Planned}; {f.Target}; {converged}{(f.Error is null ? "" : "; FAILED TO INJECT: " + f.Error)}"));
        }

        if (result.Faults.Count < result.Plan.Count)
        {
            report.AppendLine(F($"  ({result.Plan.Count - result.Faults.Count} planned faults not reached)"));
        }

        report.AppendLine(F($"Every fault healed at {result.Healed:mm\\:ss}; converged {(result.Converged is { } t ? F($"{t.TotalSeconds:F1} s") : "never (120 s)")} later"));
        if (result.Counts is { } n)
        {
            report.AppendLine(F($"Counts: {workload.Transactions:N0} of Coder's transactions ({workload.Retried:N0} attempts retried), {workload.DriftWrites:N0} drift writes, {workload.DeletedOrganizations} organizations deleted, {bursts.Published:N0} events in {bursts.Bursts} bursts"));
            report.AppendLine(F($"        {n.Organizations:N0} organizations ({n.DeletedOrganizations} deleted), {n.Needing:N0} needing the setup, {n.Presets:N0} presets; the prebuilds user in {n.Memberships:N0} organizations, {n.Groups:N0} prebuilds groups, {n.GroupMemberships:N0} group memberships"));
        }

        report.AppendLine(F($"Worker processes: {workers.Lifetimes.Count} (3 at the start, one more per restart)"));
        report.AppendLine("Checks:");
        foreach (var (check, passed, detail) in result.Checks)
        {
            report.AppendLine(F($"  [{(passed ? "pass" : "FAIL")}] {check}: {detail}"));
        }

        report.AppendLine(result.Passed ? F($"PASS (seed {s.Seed})") : F($"FAIL (seed {s.Seed}: replay with soak.sh --seed {s.Seed})"));
        return report.ToString();
    }
}
