using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace SlotEngine.Redis;

/// <summary>
/// The store's meter and its two histograms. From the host's <see cref="IMeterFactory"/> when the options
/// give one (the factory owns and disposes the meter), otherwise one static meter shared by every store in
/// the process, as .NET libraries do.
/// </summary>
internal sealed class RedisStoreInstruments
{
    /// <summary>From 100 µs (a local round trip) to seconds (a stuck server, a far replica of the feed).</summary>
    private static readonly IReadOnlyList<double> Buckets =
        [0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Lazy<RedisStoreInstruments> Static = new(() => new RedisStoreInstruments(new Meter(Options())));

    /// <summary>
    /// Servers to their address and port tags, the port boxed once here (a round trip's tags would otherwise box it on
    /// every record); bounded by the deployment's servers.
    /// </summary>
    private static readonly ConcurrentDictionary<System.Net.EndPoint, (string Address, object Port)> Servers = new();

    /// <summary>The <c>db.system</c> tag, the same on every record.</summary>
    private static readonly KeyValuePair<string, object?> SystemTag = new(RedisSlotEngineTelemetry.SystemTag, "redis");

    private RedisStoreInstruments(Meter meter)
    {
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets };
        RoundTrip = meter.CreateHistogram(
            RedisSlotEngineTelemetry.RoundTripDuration,
            "s",
            "Redis round trips: from sending a command or script call to its reply, by command.",
            advice: advice);
        ChangeFeedLag = meter.CreateHistogram(
            RedisSlotEngineTelemetry.ChangeFeedLag,
            "s",
            "From a calendar's change in Redis (Redis TIME) to this node applying it (this node's clock); approximate, as clock skew between Redis and the node adds to it.",
            advice: advice);
        Reloads = meter.CreateCounter<long>(
            RedisSlotEngineTelemetry.Reloads,
            "{reload}",
            "Calendars read back from Redis whole into this node's read model (not deltas, not days laid in from their publish's message).");
    }

    public Histogram<double> RoundTrip { get; }

    public Counter<long> Reloads { get; }

    public Histogram<double> ChangeFeedLag { get; }

    public static RedisStoreInstruments Create(IMeterFactory? meterFactory) =>
        meterFactory is null ? Static.Value : new RedisStoreInstruments(meterFactory.Create(Options()));

    /// <summary>A timestamp to pass to <see cref="RecordRoundTrip"/>, or 0 when nobody listens (then nothing is recorded).</summary>
    public long StartRoundTrip() => RoundTrip.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Records a round trip begun at <paramref name="started"/> (from <see cref="StartRoundTrip"/>) of <paramref name="command"/> (upper case, as sent) to <paramref name="server"/> (null: every primary).</summary>
    public void RecordRoundTrip(string command, long started, System.Net.EndPoint? server = null)
    {
        if (started == 0)
        {
            return;
        }

        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var system = SystemTag;
        var operation = new KeyValuePair<string, object?>(RedisSlotEngineTelemetry.CommandTag, command);
        if (server is null)
        {
            RoundTrip.Record(elapsed, system, operation);
            return;
        }

        var (address, port) = Servers.GetOrAdd(server, static endPoint => endPoint switch
        {
            System.Net.DnsEndPoint dns => (dns.Host, (object)dns.Port),
            System.Net.IPEndPoint ip => (ip.Address.ToString(), (object)ip.Port),
            _ => (endPoint.ToString() ?? "unknown", (object)0),
        });
        RoundTrip.Record(elapsed, system, operation, new(RedisSlotEngineTelemetry.ServerAddressTag, address), new(RedisSlotEngineTelemetry.ServerPortTag, port));
    }

    private static MeterOptions Options() => new(RedisSlotEngineTelemetry.MeterName)
    {
        Version = typeof(RedisStoreInstruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0",
    };
}
