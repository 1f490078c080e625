namespace PrebuildsMessaging.Benchmarks.Soak;

internal enum FaultKind
{
    KillWorker,
    StopBrokerNode,
    RestartPostgresFast,
    RestartPostgresImmediate,
    PauseWorker,
    TerminateWalsender,
}

/// <summary>One fault of the schedule: when it starts, what it is, the worker it aims at, and how long it lasts.</summary>
internal sealed record PlannedFault(TimeSpan At, FaultKind Kind, int Worker, TimeSpan Lasts)
{
    public override string ToString() => Kind switch
    {
        FaultKind.KillWorker => $"SIGKILL worker {Worker + 1}, restarted after {Lasts.TotalSeconds:F0} s",
        FaultKind.StopBrokerNode => $"stop the RabbitMQ node of worker {Worker + 1} for {Lasts.TotalSeconds:F0} s",
        FaultKind.RestartPostgresFast => "restart PostgreSQL (-m fast)",
        FaultKind.RestartPostgresImmediate => "restart PostgreSQL (-m immediate)",
        FaultKind.PauseWorker => $"SIGSTOP worker {Worker + 1} for {Lasts.TotalSeconds:F0} s, then SIGCONT",
        FaultKind.TerminateWalsender => "terminate the change feed's walsender",
        _ => Kind.ToString(),
    };
}

/// <summary>
/// The fault schedule, a pure function of the seed and the soak's length: a fault every 20 to 60 s, one in four
/// joined by a second at the same moment; PostgreSQL restarted fast, and exactly once immediately. The same seed
/// gives the same schedule.
/// </summary>
internal static class SoakFaultPlan
{
    /// <summary>Worker 3 (index 2) is never SIGKILLed, so that one process lives the whole soak for the memory check.</summary>
    public const int LongLivedWorker = 2;

    private static readonly FaultKind[] Kinds =
        [FaultKind.KillWorker, FaultKind.StopBrokerNode, FaultKind.RestartPostgresFast, FaultKind.PauseWorker, FaultKind.TerminateWalsender];

    public static IReadOnlyList<PlannedFault> Create(int seed, TimeSpan duration)
    {
        var random = new Random(seed);
        var faults = new List<PlannedFault>();
        var at = TimeSpan.FromSeconds(random.Next(20, 61));
        // Nothing starts in the last 15 s: the soak's end heals every fault and measures convergence from there.
        while (at < duration - TimeSpan.FromSeconds(15))
        {
            var first = Draw(random, at, null);
            faults.Add(first);
            if (random.NextDouble() < 0.25)
            {
                faults.Add(Draw(random, at, first));
            }

            at += TimeSpan.FromSeconds(random.Next(20, 61));
        }

        // Exactly one PostgreSQL restart is immediate (a crash): the fault nearest the middle becomes one.
        if (faults.Count > 0)
        {
            var middle = duration / 2;
            var index = faults.Select((f, i) => (f, i)).OrderBy(x => (x.f.At - middle).Duration()).First().i;
            faults[index] = faults[index] with { Kind = FaultKind.RestartPostgresImmediate, Worker = 0, Lasts = TimeSpan.Zero };
            // Its companion, if any, must not be another PostgreSQL restart.
            for (var i = 0; i < faults.Count; i++)
            {
                if (i != index && faults[i].At == faults[index].At && faults[i].Kind is FaultKind.RestartPostgresFast)
                {
                    faults[i] = faults[i] with { Kind = FaultKind.TerminateWalsender };
                }
            }
        }

        return faults;
    }

    private static PlannedFault Draw(Random random, TimeSpan at, PlannedFault? alongside)
    {
        FaultKind kind;
        do
        {
            kind = Kinds[random.Next(Kinds.Length)];
        }
        while (alongside is not null && (kind == alongside.Kind || (IsPostgres(kind) && IsPostgres(alongside.Kind))));

        var worker = kind == FaultKind.KillWorker ? random.Next(LongLivedWorker) : random.Next(SoakSettings.Workers);
        if (alongside is not null && worker == alongside.Worker)
        {
            worker = kind == FaultKind.KillWorker ? (worker + 1) % LongLivedWorker : (worker + 1) % SoakSettings.Workers;
        }

        var lasts = kind switch
        {
            FaultKind.KillWorker => TimeSpan.FromSeconds(random.Next(2, 7)),
            FaultKind.StopBrokerNode => TimeSpan.FromSeconds(random.Next(5, 21)),
            FaultKind.PauseWorker => TimeSpan.FromSeconds(30),
            _ => TimeSpan.Zero,
        };
        return new PlannedFault(at, kind, worker, lasts);
    }

    private static bool IsPostgres(FaultKind kind) => kind is FaultKind.RestartPostgresFast or FaultKind.RestartPostgresImmediate;
}
