using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SlotEngine.Hosting.Tests;

/// <summary>One measurement: instrument name, value and tags.</summary>
public sealed record Measured(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value?.ToString() : null;
}

/// <summary>
/// Listens to the <c>SlotEngine</c> meter of one container (its meters carry the container's
/// <see cref="IMeterFactory"/> as scope), so tests running in parallel do not see each other's measurements.
/// </summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measurements = new();
    private readonly ConcurrentQueue<(Func<Measured, bool> Match, TaskCompletionSource Done)> _waiters = new();

    public MetricRecorder(IMeterFactory scope)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == SlotEngineTelemetry.MeterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<Measured> Measurements => [.. _measurements];

    public IEnumerable<Measured> Of(string instrument) => Measurements.Where(m => m.Instrument == instrument);

    /// <summary>Completes when a matching measurement arrives (or has arrived).</summary>
    public Task WaitForAsync(Func<Measured, bool> match)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Enqueue((match, done));
        if (_measurements.Any(match))
        {
            done.TrySetResult();
        }

        return done.Task;
    }

    /// <summary>Collects the observable instruments now (their callbacks report through the same measurement callback).</summary>
    public void Collect() => _listener.RecordObservableInstruments();

    /// <summary>The latest value an observable counter reported (its running total), or null when it reported none.</summary>
    public double? Latest(string instrument) => Of(instrument).LastOrDefault()?.Value;

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var measured = new Measured(instrument.Name, instrument.Unit, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value));
        _measurements.Enqueue(measured);
        foreach (var (match, done) in _waiters)
        {
            if (match(measured))
            {
                done.TrySetResult();
            }
        }
    }
}
