using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Tests.Infrastructure;
using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Tests.Messaging;

public sealed partial class HealthAndMetricsTests(PostgresServer server, RabbitMqBroker broker) : IClassFixture<PostgresServer>, IClassFixture<RabbitMqBroker>
{
    [Fact]
    public async Task Readyz_goes_unready_when_the_database_stops_and_ready_again_when_it_is_back()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var listening = await ListeningWorker.StartAsync(db, isolated);
        var http = listening.Http;

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode);
        await Eventually.TrueAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK, "ready");

        await server.SetDatabaseAvailableAsync(db.Name, available: false);
        try
        {
            var unready = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
            Assert.Contains("\"postgres\":{\"status\":\"Unhealthy\"", await unready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode); // alive all the same
        }
        finally
        {
            await server.SetDatabaseAvailableAsync(db.Name, available: true);
            db.DataSource.Clear();
        }

        await Eventually.TrueAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK, "ready again");
    }

    [Fact]
    public async Task Metrics_show_the_counters_moving_after_a_reconciliation()
    {
        await using var db = await server.CreateDatabaseAsync();
        var org = await db.Seed.OrganizationWithPrebuildsAsync();
        var url = FreeLoopbackUrl();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        var amqp = isolated.AmqpUri;
        // A worker process of its own: MassTransit's instrumentation is process-wide.
        await using var worker = await WorkerProcess.StartAsync(db, amqp, new Dictionary<string, string?>
        {
            ["Health:Enabled"] = "true",
            ["Health:Urls"] = url,
        });
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        await Eventually.TrueAsync(async () => (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).IsSuccessStatusCode, "listening");
        // Readiness, as the executable serves it (its JSON body too: the published app is trimmed).
        await Eventually.TrueAsync(async () => (await http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode == HttpStatusCode.OK, "ready");
        Assert.Contains("\"postgres\":{\"status\":\"Healthy\"", await http.GetStringAsync(new Uri("/readyz", UriKind.Relative)), StringComparison.Ordinal);
        var before = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        await TestPublisher.PresetsChangedAsync(amqp, [org]);
        await Eventually.TrueAsync(async () => await db.Seed.GroupMemberCountAsync(org, db.PrebuildsUserId) == 1, "converged");

        string after = "";
        await Eventually.TrueAsync(async () =>
        {
            after = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            // The pass records itself once it has published its ReconciliationCompleted, which may be after the ensure.
            return Value(after, "prebuilds_ensures_total", "outcome=\"ensured\"") >= 1 && Value(after, "prebuilds_reconciliations_total") >= 1;
        }, "the ensure and the reconciliation are counted");
        Assert.Null(Value(before, "prebuilds_reconciliations_total")); // no reconciliation yet: the series is not there at all
        Assert.True(Value(after, "prebuilds_reconciliations_total") >= 1);
        Assert.True(Value(after, "prebuilds_organizations_checked_total") >= 1);
        Assert.True(Value(after, "prebuilds_commands_sent_total") >= 1);
        Assert.Equal(1, Value(after, "prebuilds_inserts_total", "kind=\"membership\""));
        Assert.Equal(1, Value(after, "prebuilds_inserts_total", "kind=\"group\""));
        Assert.Equal(1, Value(after, "prebuilds_inserts_total", "kind=\"group_membership\""));
        Assert.True(Value(after, "prebuilds_reconciliation_duration_seconds_count") >= 1);
        Assert.Contains("messaging_masstransit_", after, StringComparison.Ordinal); // MassTransit's own instrumentation
    }

    [Fact]
    public async Task A_metric_stream_keeps_at_most_the_cardinality_limit_and_counts_the_rest_in_one_overflow_series()
    {
        await using var db = await server.CreateDatabaseAsync();
        await using var isolated = await IsolatedBroker.CreateAsync(broker);
        await using var listening = await ListeningWorker.StartAsync(db, isolated);
        var http = listening.Http;
        await Eventually.TrueAsync(async () => (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).IsSuccessStatusCode, "listening");

        // An instrument of the service's own meter, given more tag values than the limit keeps.
        using var meter = listening.Worker.Services.GetRequiredService<IMeterFactory>().Create(PrebuildsMetrics.MeterName);
        var counter = meter.CreateCounter<long>("prebuilds.test.cardinality");
        var tagValues = PrebuildsMetrics.CardinalityLimit + 50;
        for (var i = 0; i < tagValues; i++)
        {
            counter.Add(1, new KeyValuePair<string, object?>("value", i));
        }

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var series = Sample().Matches(metrics).Where(m => m.Groups["name"].Value == "prebuilds_test_cardinality_total").ToList();
        var overflow = series.Where(m => m.Groups["labels"].Value.Contains("otel_metric_overflow=\"true\"", StringComparison.Ordinal)).ToList();
        Assert.Single(overflow);
        Assert.Equal(PrebuildsMetrics.CardinalityLimit, series.Count - overflow.Count);
        // Nothing is lost: every measurement is in a kept series or in the overflow.
        Assert.Equal(tagValues, series.Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>The value of one Prometheus sample, matched by name and an optional label; null when the series is absent.</summary>
    private static double? Value(string metrics, string name, string? label = null)
    {
        foreach (Match match in Sample().Matches(metrics))
        {
            if (match.Groups["name"].Value == name && (label is null || match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    /// <summary>An in-process worker with its health and metrics listener on a free loopback port, and a client for it.</summary>
    private sealed class ListeningWorker(WorkerHost worker, HttpClient http) : IAsyncDisposable
    {
        public WorkerHost Worker { get; } = worker;

        public HttpClient Http { get; } = http;

        public static async Task<ListeningWorker> StartAsync(TestDatabase db, IsolatedBroker isolated)
        {
            var url = FreeLoopbackUrl();
            var worker = await WorkerHost.StartAsync(db, isolated.AmqpUri, new Dictionary<string, string?>
            {
                ["Health:Enabled"] = "true",
                ["Health:Urls"] = url,
            });
            return new ListeningWorker(worker, new HttpClient { BaseAddress = new Uri(url) });
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Worker.DisposeAsync();
        }
    }

    private static string FreeLoopbackUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }
}
