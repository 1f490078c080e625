using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PrebuildsMessaging.Worker.Observability;

namespace PrebuildsMessaging.Tests.Infrastructure;

/// <summary>
/// Sums the service's counters, and reads its gauges, of one in-process host: only instruments of the <c>PrebuildsMessaging</c> meter
/// that host's own meter factory created, so hosts of tests running in parallel do not mix.
/// </summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, long> sums = new();
    private readonly ConcurrentDictionary<string, long> gauges = new();

    public MetricRecorder(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PrebuildsMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            gauges[instrument.Name] = value;
            foreach (var tag in tags)
            {
                gauges[$"{instrument.Name}{{{tag.Key}={tag.Value}}}"] = value;
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument is ObservableGauge<long>)
            {
                gauges[instrument.Name] = value;
                return;
            }

            sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
            foreach (var tag in tags)
            {
                sums.AddOrUpdate($"{instrument.Name}{{{tag.Key}={tag.Value}}}", value, (_, sum) => sum + value);
            }
        });
        listener.Start();
    }

    /// <summary>A gauge's value now (observed on request), or null when it reports nothing.</summary>
    public long? Gauge(string instrument)
    {
        gauges.TryRemove(instrument, out _);
        listener.RecordObservableInstruments();
        return gauges.TryGetValue(instrument, out var value) ? value : null;
    }

    /// <summary>A gauge's value now for the measurement that carries this tag, or null when it reports none.</summary>
    public long? Gauge(string instrument, (string Key, string Value) tag)
    {
        var name = $"{instrument}{{{tag.Key}={tag.Value}}}";
        gauges.TryRemove(name, out _);
        listener.RecordObservableInstruments();
        return gauges.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>The sum of a counter, or of its measurements that carry one tag value.</summary>
    public long Sum(string instrument, string? tag = null, string? value = null) =>
        sums.GetValueOrDefault(tag is null ? instrument : $"{instrument}{{{tag}={value}}}");

    public void Dispose() => listener.Dispose();
}
