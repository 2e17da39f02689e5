namespace SlotEngine.LoadTest.Run;

/// <summary>One operation's latency in one interval of the timeline, microseconds.</summary>
/// <param name="Count">Operations finished in the interval.</param>
/// <param name="P50Micros">Median.</param>
/// <param name="P99Micros">99th percentile.</param>
/// <param name="MaxMicros">Largest (to the histogram's resolution).</param>
internal readonly record struct OperationInterval(long Count, double P50Micros, double P99Micros, double MaxMicros);

/// <summary>
/// One interval of the run's timeline: what happened between two looks of the
/// <see cref="TimelineSampler"/>. Counts are of that interval alone; rates divide by its own
/// length (intervals are not all equally long: short runs are sampled finer, and the last one ends
/// when the load ends). Immutable.
/// </summary>
internal sealed record TimelinePoint
{
    /// <summary>Seconds from the start of the load to the start of the interval.</summary>
    public required double StartSeconds { get; init; }

    /// <summary>The interval's length in seconds.</summary>
    public required double Seconds { get; init; }

    /// <summary>Bookings confirmed in the interval.</summary>
    public required long Bookings { get; init; }

    /// <summary>Waitlist offers the engine made in the interval (0 without the waitlist).</summary>
    public long Offers { get; init; }

    /// <summary>Engine operations (search, hold, confirm, cancel) finished in the interval.</summary>
    public required long Operations { get; init; }

    /// <summary>Latency per operation, indexed by <see cref="Operation"/>.</summary>
    public required OperationInterval[] Latency { get; init; }

    /// <summary>Failures in the interval by reason (summed over operations), indexed by <see cref="FailureReason"/>.</summary>
    public required long[] Failures { get; init; }

    /// <summary>Garbage collections that ended in the interval, by generation (gen0, gen1, gen2; a gen1 is not also a gen0).</summary>
    public required (int Gen0, int Gen1, int Gen2) Collections { get; init; }

    /// <summary>Milliseconds the runtime was paused for collections in the interval.</summary>
    public required double GcPauseMillis { get; init; }

    /// <summary>Bytes allocated by all threads in the interval.</summary>
    public required long AllocatedBytes { get; init; }

    /// <summary>Process CPU milliseconds (all threads) in the interval.</summary>
    public required double CpuMillis { get; init; }

    /// <summary>The run's progress (0 to 1) at the end of the interval.</summary>
    public required double Progress { get; init; }

    /// <summary>Scenario time at the end of the interval.</summary>
    public required DateTimeOffset ScenarioTime { get; init; }

    /// <summary>Whether the interval began within the release rush: before the run's progress reached the rush's share of the load (<c>--rush-share</c>), the part the scenario crowds into the first two minutes after the release.</summary>
    public required bool Rush { get; init; }

    /// <summary>
    /// Further series by group (e.g. <c>redis</c>: round trips per second, read-model staleness),
    /// from the backend's <see cref="ITimelineProbe"/>s; empty when the backend has none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Extras { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, double>>();

    /// <summary>Bookings per second in the interval.</summary>
    public double BookingsPerSecond => Seconds > 0 ? Bookings / Seconds : 0;

    /// <summary>Waitlist offers per second in the interval.</summary>
    public double OffersPerSecond => Seconds > 0 ? Offers / Seconds : 0;

    /// <summary>Operations per second in the interval.</summary>
    public double OperationsPerSecond => Seconds > 0 ? Operations / Seconds : 0;
}

/// <summary>
/// A source of further timeline series, sampled once per interval on the sampler's thread (never
/// on a worker's). The Redis backend's probe reports round trips and read-model staleness; the
/// page draws a group's series when they are present.
/// </summary>
internal interface ITimelineProbe
{
    /// <summary>The group's name in the JSON timeline and on the page, e.g. <c>redis</c>.</summary>
    string Group { get; }

    /// <summary>Reads the values of the interval that just ended.</summary>
    /// <param name="seconds">The interval's length.</param>
    /// <param name="values">
    /// Receives name → value, e.g. <c>round_trips_per_second</c>. A name ending in <c>_per_second</c>
    /// is a rate over the interval; any other is a quantile or maximum of it (<c>staleness_p99_ms</c>):
    /// that is how a last sliver folded into the interval before is merged, and the page puts the
    /// <c>_per_second</c> series in one chart and the <c>_ms</c> ones in another.
    /// </param>
    void Sample(double seconds, IDictionary<string, double> values);

    /// <summary>Starts measuring: called once by <see cref="TimelineSampler.Begin"/>, when the load starts. Does nothing by default.</summary>
    void Begin()
    {
    }

    /// <summary>Stops measuring: called once after the last interval (also when sampling failed), on the sampler's thread. Does nothing by default.</summary>
    void End()
    {
    }
}
