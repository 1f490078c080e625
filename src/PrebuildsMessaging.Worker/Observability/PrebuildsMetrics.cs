using System.Diagnostics.Metrics;
using PrebuildsMessaging.Contracts;
using PrebuildsMessaging.Worker.ChangeFeed;

namespace PrebuildsMessaging.Worker.Observability;

/// <summary>
/// The service's meter, <c>PrebuildsMessaging</c>, named after OpenTelemetry's conventions (lower-case, dotted,
/// with units). The Prometheus exporter turns <c>prebuilds.inserts</c> into <c>prebuilds_inserts_total</c>.
/// </summary>
public sealed class PrebuildsMetrics
{
    public const string MeterName = "PrebuildsMessaging";

    /// <summary>
    /// The most tag combinations one metric stream keeps (the service's, MassTransit's and the runtime's); beyond it,
    /// measurements go to one overflow series (<c>otel_metric_overflow="true"</c>). Their tags (outcome, row kind,
    /// queue, message type, GC generation) make a few dozen at most. OpenTelemetry's default of 2,000 preallocates
    /// 144 KB per stream: about 9 MB of large-object heap for the worker's 64 streams, against 0.9 MB at this limit.
    /// </summary>
    public const int CardinalityLimit = 200;

    private readonly Counter<long> reconciliations;
    private readonly Counter<long> organizationsChecked;
    private readonly Counter<long> commandsSent;
    private readonly Histogram<double> reconciliationDuration;
    private readonly Counter<long> inserts;
    private readonly Counter<long> uniqueViolations;
    private readonly Counter<long> ensures;
    private readonly Counter<long> coveredRequests;
    private int recommendedIndexPresent = -1; // unknown until first read
    private long changeFeedLagBytes = -1; // unknown, or no feed
    private int changeFeedState = -1; // no feed
    private int pausedByCoder = -1; // not read yet
    private readonly Counter<long> changeFeedSnapshots;

    public PrebuildsMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        reconciliations = meter.CreateCounter<long>("prebuilds.reconciliations", "{reconciliation}", "Status queries run (one per batch of ReconcileRequested).");
        organizationsChecked = meter.CreateCounter<long>("prebuilds.organizations.checked", "{organization}", "Organizations with prebuild presets that reconciliations looked at.");
        commandsSent = meter.CreateCounter<long>("prebuilds.commands.sent", "{command}", "EnsureOrgPrebuildSetup commands sent.");
        reconciliationDuration = meter.CreateHistogram<double>("prebuilds.reconciliation.duration", "s", "Time from the start of a reconciliation to its commands sent.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        inserts = meter.CreateCounter<long>("prebuilds.inserts", "{row}", "Rows inserted, by kind: membership, group, group_membership.");
        uniqueViolations = meter.CreateCounter<long>("prebuilds.unique_violations.tolerated", "{row}", "Inserts that found their row already there.");
        coveredRequests = meter.CreateCounter<long>("prebuilds.requests.covered", "{request}", "Change-driven ReconcileRequested answered by an earlier status read, without a query of their own.");
        meter.CreateObservableGauge("prebuilds.recommended_index.present", ObserveRecommendedIndex, "{index}",
            "1 when the recommended index on template_version_presets is present and valid, 0 when not (then scoped reconciliations read every preset).");
        meter.CreateObservableGauge("prebuilds.change_feed.lag", ObserveChangeFeedLag, "By",
            "WAL the change feed's replication slot holds back: the current position minus the last one a worker acknowledged.");
        meter.CreateObservableGauge("prebuilds.change_feed.state", ObserveChangeFeedState, "{state}",
            "The change feed of this replica: 1 for the state it is in (streaming, standing_by, unavailable), 0 for the others.");
        meter.CreateObservableGauge("prebuilds.reconciliation.paused", ObservePausedByCoder, "{pause}",
            "1 while Coder's administrators have paused prebuilds reconciliation and the service holds back its writes, 0 otherwise.");
        changeFeedSnapshots = meter.CreateCounter<long>("prebuilds.change_feed.snapshots", "{snapshot}",
            "Reconciliations of every organization the change feed requested when it began to stream (each (re)connection).");
        ensures = meter.CreateCounter<long>("prebuilds.ensures", "{command}", "EnsureOrgPrebuildSetup commands handled, by outcome (ensured, organization-gone, not-needed, superseded, paused, failed).");
    }

    public void Reconciled(bool queried, int requestsCovered, int organizations, int commands, TimeSpan duration)
    {
        coveredRequests.Add(requestsCovered);
        if (!queried)
        {
            return;
        }

        reconciliations.Add(1);
        organizationsChecked.Add(organizations);
        commandsSent.Add(commands);
        reconciliationDuration.Record(duration.TotalSeconds);
    }

    public void Ensured(string outcome, bool membership, bool group, bool groupMembership, int uniqueViolationsTolerated)
    {
        ensures.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        AddInsert(membership, "membership");
        AddInsert(group, "group");
        AddInsert(groupMembership, "group_membership");
        uniqueViolations.Add(uniqueViolationsTolerated);
    }

    public void ChangeFeedLag(long? bytes) => Interlocked.Exchange(ref changeFeedLagBytes, bytes ?? -1);

    private IEnumerable<Measurement<long>> ObserveChangeFeedLag()
    {
        var lag = Interlocked.Read(ref changeFeedLagBytes);
        return lag < 0 ? [] : [new Measurement<long>(lag)];
    }

    public void ChangeFeedState(ChangeFeedState state) => Volatile.Write(ref changeFeedState, (int)state);

    public void ChangeFeedSnapshot() => changeFeedSnapshots.Add(1);

    public void PausedByCoder(bool paused) => Volatile.Write(ref pausedByCoder, paused ? 1 : 0);

    private IEnumerable<Measurement<int>> ObservePausedByCoder()
    {
        var paused = Volatile.Read(ref pausedByCoder);
        return paused < 0 ? [] : [new Measurement<int>(paused)];
    }

    private IEnumerable<Measurement<int>> ObserveChangeFeedState()
    {
        var current = Volatile.Read(ref changeFeedState);
        return current < 0
            ? []
            : Enum.GetValues<ChangeFeedState>().Select(state =>
                new Measurement<int>(current == (int)state ? 1 : 0, new KeyValuePair<string, object?>("state", ChangeFeedStates.Name(state))));
    }

    public void RecommendedIndexPresent(bool present) => Volatile.Write(ref recommendedIndexPresent, present ? 1 : 0);

    private IEnumerable<Measurement<int>> ObserveRecommendedIndex()
    {
        var present = Volatile.Read(ref recommendedIndexPresent);
        return present < 0 ? [] : [new Measurement<int>(present)];
    }

    public void EnsureFailed(Exception exception) =>
        ensures.Add(1, new KeyValuePair<string, object?>("outcome", "failed"), new KeyValuePair<string, object?>("error.type", exception?.GetType().Name));

    private void AddInsert(bool created, string kind)
    {
        if (created)
        {
            inserts.Add(1, new KeyValuePair<string, object?>("kind", kind));
        }
    }
}
