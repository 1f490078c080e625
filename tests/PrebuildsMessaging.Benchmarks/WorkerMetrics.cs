using System.Globalization;

namespace PrebuildsMessaging.Benchmarks;

/// <summary>One read of a worker's Prometheus /metrics: the sum of a metric's series, by name.</summary>
internal sealed class WorkerMetrics
{
    private static readonly HttpClient Http = new();
    private readonly string[] lines;

    private WorkerMetrics(string[] lines) => this.lines = lines;

    public static async Task<WorkerMetrics> ReadAsync(int port, CancellationToken cancellationToken = default) =>
        new((await Http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), cancellationToken)).Split('\n'));

    /// <summary>The sum of the metric's series (every label set), or null when the worker has none of it.</summary>
    public double? Sum(string metric)
    {
        var values = lines.Where(l => l.StartsWith(metric, StringComparison.Ordinal) && l.Length > metric.Length && l[metric.Length] is '{' or ' ')
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ToList();
        return values.Count > 0 ? values.Sum() : null;
    }
}
