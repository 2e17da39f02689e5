using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using SlotEngine.LoadTest.Metrics;
using SlotEngine.Redis;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Listens to the Redis store's meter (<see cref="RedisSlotEngineTelemetry.MeterName"/>) during the
/// load, through a <see cref="MeterListener"/>, as any host's telemetry would: the change-feed lag
/// (read-model staleness: from a calendar's change in Redis to a node applying it, every node of
/// this process), the client's round trips by command, and any instrument whose name says
/// "reload" (the store exposes none before issue 10: then <see cref="Reloads"/> stays null).
/// Thread-safe: measurements arrive on the store's threads.
/// </summary>
internal sealed class RedisStoreMeters : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly LatencyHistogram _lag = new();
    private readonly Lock _lagLock = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _roundTrips = new(StringComparer.Ordinal);
    private long _reloads;
    private int _reloadInstruments;

    /// <summary>Starts listening.</summary>
    public RedisStoreMeters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != RedisSlotEngineTelemetry.MeterName)
            {
                return;
            }

            if (instrument.Name is RedisSlotEngineTelemetry.ChangeFeedLag or RedisSlotEngineTelemetry.RoundTripDuration)
            {
                listener.EnableMeasurementEvents(instrument, this);
            }
            else if (instrument.Name.Contains("reload", StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref _reloadInstruments);
                listener.EnableMeasurementEvents(instrument, this);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => ((RedisStoreMeters)state!).OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => ((RedisStoreMeters)state!).OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, state) => ((RedisStoreMeters)state!).OnMeasurement(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Read-model staleness samples so far, in nanoseconds.</summary>
    public LatencyHistogram Staleness
    {
        get
        {
            lock (_lagLock)
            {
                var copy = new LatencyHistogram();
                copy.Add(_lag);
                return copy;
            }
        }
    }

    /// <summary>Client round trips by command so far (the store's <c>slotengine.redis.round_trip.duration</c> count by tag).</summary>
    public IReadOnlyDictionary<string, long> RoundTrips
    {
        get
        {
            // INFO commandstats' lower case, as the report names commands.
            var byCommand = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (command, count) in _roundTrips)
            {
                var name = command.ToLowerInvariant();
                byCommand[name] = byCommand.GetValueOrDefault(name) + Interlocked.Read(ref count.Value);
            }

            return byCommand;
        }
    }

    /// <summary>Reloads so far, or null when the store publishes no reload instrument.</summary>
    public long? Reloads => Volatile.Read(ref _reloadInstruments) == 0 ? null : Interlocked.Read(ref _reloads);

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument.Name == RedisSlotEngineTelemetry.ChangeFeedLag)
        {
            // LatencyHistogram has one writer; the feed's threads take turns.
            var nanos = (long)(Math.Max(0, value) * 1e9);
            lock (_lagLock)
            {
                _lag.Record(nanos);
            }
        }
        else if (instrument.Name == RedisSlotEngineTelemetry.RoundTripDuration)
        {
            var command = "?";
            foreach (var tag in tags)
            {
                if (tag.Key == RedisSlotEngineTelemetry.CommandTag && tag.Value is string name)
                {
                    // The store tags the command as sent (EVALSHA); the report lower-cases it (RoundTrips), not each
                    // measurement here: this runs on every round trip, and its garbage would count as the engine's.
                    command = name;
                }
            }

            // Every worker's round trip passes here: a lock-free lookup of the command's counter (added once per
            // command name), then one interlocked increment; no lock for all the workers to queue on.
            Interlocked.Increment(ref _roundTrips.GetOrAdd(command, static _ => new StrongBox<long>()).Value);
        }
        else
        {
            // A counter adds its value; a histogram (say, a reload's duration) counts one reload per measurement.
            Interlocked.Add(ref _reloads, instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal) ? 1 : (long)value);
        }
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => OnMeasurement(instrument, (double)value, tags);

    private void OnMeasurement(Instrument instrument, int value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => OnMeasurement(instrument, (double)value, tags);
}
