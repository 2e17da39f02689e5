using System.Diagnostics.Metrics;
using HdrHistogram;
using SlotEngine.LoadTest.Metrics;
using SlotEngine.Redis;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// The Redis backend's timeline series, group <c>redis</c>: per interval, <c>round_trips_per_second</c>
/// (the commands the engines sent and got a reply to, by the store's
/// <see cref="RedisSlotEngineTelemetry.RoundTripDuration"/>, the figure the whole-run
/// <c>round_trips_per_booking</c> counts) and the read-model staleness of the changes applied in the
/// interval, <c>staleness_p50_ms</c>, <c>staleness_p99_ms</c> and <c>staleness_max_ms</c> (from
/// <see cref="RedisSlotEngineTelemetry.ChangeFeedLag"/>; left out of an interval in which no change
/// arrived).
/// </summary>
/// <remarks>
/// <para><b>Scope.</b> The store's meter is process-wide, so one probe (one
/// <see cref="MeterListener"/>) sees every engine of this process: with <c>--nodes N</c> the series
/// are over all N nodes, as the run's <c>redis</c> object is. It listens from <see cref="Begin"/>
/// (the load's start) to <see cref="End"/> (after the last interval), so setup's publishing is not in
/// the first interval.</para>
/// <para><b>Threads.</b> Measurements arrive on the store's threads (the workers' continuations and
/// each node's change feed), many at once; <see cref="Sample"/> runs on the sampler's thread only.
/// Recording allocates nothing: a round trip is one interlocked increment of a running count (the
/// sampler subtracts its previous reading), a lag one <see cref="Recorder.RecordValue"/> into a
/// recorder of <see cref="LongConcurrentHistogram"/>s, whose counts are interlocked so that the
/// feeds of several nodes may record at once, and whose writer-reader phaser lets the sampler take
/// each interval's histogram whole without stopping them.</para>
/// </remarks>
internal sealed class RedisTimelineProbe : ITimelineProbe, IDisposable
{
    private readonly Recorder _lag = new(1, LatencyHistogram.MaxValue, LatencyHistogram.SignificantDigits, static (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));
    private MeterListener? _listener;
    private HistogramBase? _interval;
    private long _roundTrips;
    private long _previousRoundTrips;

    /// <inheritdoc />
    public string Group => "redis";

    /// <summary>Round trips counted since <see cref="Begin"/> (all engines of this process).</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Starts listening to the store's meter; call once, when the load starts.</summary>
    public void Begin()
    {
        // Takes an (empty) interval once: the first real look then recycles it instead of allocating.
        _interval = _lag.GetIntervalHistogram(_interval);
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RedisSlotEngineTelemetry.MeterName
                    && instrument.Name is RedisSlotEngineTelemetry.ChangeFeedLag or RedisSlotEngineTelemetry.RoundTripDuration)
                {
                    listener.EnableMeasurementEvents(instrument, this);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>(static (instrument, value, _, state) => ((RedisTimelineProbe)state!).OnMeasurement(instrument, value));
        listener.SetMeasurementEventCallback<long>(static (instrument, value, _, state) => ((RedisTimelineProbe)state!).OnMeasurement(instrument, value));
        listener.SetMeasurementEventCallback<int>(static (instrument, value, _, state) => ((RedisTimelineProbe)state!).OnMeasurement(instrument, value));
        _listener = listener;
        listener.Start();
    }

    /// <inheritdoc />
    public void Sample(double seconds, IDictionary<string, double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        _interval = _lag.GetIntervalHistogram(_interval);
        var roundTrips = Interlocked.Read(ref _roundTrips);
        var count = roundTrips - _previousRoundTrips;
        _previousRoundTrips = roundTrips;
        values["round_trips_per_second"] = seconds > 0 ? count / seconds : 0;
        if (_interval.TotalCount > 0)
        {
            values["staleness_p50_ms"] = _interval.GetValueAtPercentile(50) / 1e6;
            values["staleness_p99_ms"] = _interval.GetValueAtPercentile(99) / 1e6;
            values["staleness_max_ms"] = _interval.GetValueAtPercentile(100) / 1e6;
        }
    }

    /// <summary>Stops listening; call after the last interval.</summary>
    public void End() => Dispose();

    /// <inheritdoc />
    public void Dispose()
    {
        Interlocked.Exchange(ref _listener, null)?.Dispose();
    }

    private void OnMeasurement(Instrument instrument, double value)
    {
        if (instrument.Name == RedisSlotEngineTelemetry.RoundTripDuration)
        {
            Interlocked.Increment(ref _roundTrips);
        }
        else
        {
            // Seconds to nanoseconds; the store records a negative lag (clock skew) as 0.
            _lag.RecordValue(LatencyHistogram.Clamp((long)(Math.Max(0, value) * 1e9)));
        }
    }
}
