using HdrHistogram;

namespace SlotEngine.LoadTest.Metrics;

/// <summary>
/// Latency (nanoseconds) in an HdrHistogram <see cref="LongHistogram"/> with two significant
/// digits: exact below 256 ns, then 128 buckets per power of two, so a bucket is never wider than
/// 1/128 of the values in it and every percentile (reported as the highest value of its bucket, as
/// HdrHistogram does) is within 0.8 % of the recorded value at that rank. The same layout the
/// generator's own histogram had, now in the format standard tools read (<c>.hgrm</c> files).
/// </summary>
/// <remarks>
/// Not thread-safe: the workers record into <see cref="Recorder"/>s (<see cref="CreateRecorder"/>),
/// and the timeline sampler, their only reader, takes interval histograms from them and adds them
/// up in instances of this class.
/// </remarks>
internal sealed class LatencyHistogram
{
    /// <summary>Largest recordable value: about 2^44 ns (4.9 hours); larger values are clamped to it.</summary>
    public const long MaxValue = (1L << 44) - 1;

    /// <summary>Significant decimal digits: 2 gives 256 sub-buckets (1/128 resolution).</summary>
    public const int SignificantDigits = 2;

    /// <summary>Creates an empty histogram.</summary>
    public LatencyHistogram()
        : this(Create())
    {
    }

    private LatencyHistogram(HistogramBase histogram) => Histogram = histogram;

    /// <summary>The HdrHistogram underneath (for <c>.hgrm</c> output and merging).</summary>
    public HistogramBase Histogram { get; }

    /// <summary>Number of values recorded.</summary>
    public long TotalCount => Histogram.TotalCount;

    /// <summary>The largest value recorded, to the histogram's resolution (0 when empty).</summary>
    /// <remarks>
    /// The 100th percentile: the highest value of the highest non-empty bucket, found by a walk of
    /// the counts that allocates nothing (HdrHistogram's <c>GetMaxValue</c> gives the same value
    /// through an enumerator of recorded values, which the timeline sampler would pay per interval).
    /// </remarks>
    public long Max => TotalCount == 0 ? 0 : Histogram.GetValueAtPercentile(100);

    /// <summary>The mean of the values recorded, to the histogram's resolution (0 when empty).</summary>
    public double Mean => TotalCount == 0 ? 0 : Histogram.GetMean();

    /// <summary>Makes an empty HdrHistogram of the generator's range and precision.</summary>
    /// <returns>The histogram (a <see cref="SpanHistogram"/>: adding and clearing walk only the counts touched).</returns>
    public static HistogramBase Create() => new SpanHistogram(1, MaxValue, SignificantDigits);

    /// <summary>
    /// Makes a recorder for one writer: <see cref="Recorder.RecordValue"/> allocates nothing (two
    /// uncontended interlocked increments of its writer-reader phaser around a count increment),
    /// and the reader takes consistent interval histograms without stopping the writer.
    /// </summary>
    /// <returns>The recorder.</returns>
    public static Recorder CreateRecorder() =>
        new(1, MaxValue, SignificantDigits, static (id, low, high, digits) => new SpanHistogram(id, low, high, digits));

    /// <summary>Clamps a measured value into the recordable range (HdrHistogram throws outside it).</summary>
    /// <param name="nanos">The value.</param>
    /// <returns>1 to <see cref="MaxValue"/>.</returns>
    public static long Clamp(long nanos) => Math.Clamp(nanos, 1, MaxValue);

    /// <summary>Records one value (clamped).</summary>
    /// <param name="nanos">The value, in nanoseconds.</param>
    public void Record(long nanos) => Histogram.RecordValue(Clamp(nanos));

    /// <summary>Adds every count of another histogram of the same layout.</summary>
    /// <param name="other">The histogram to add.</param>
    public void Add(HistogramBase other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Histogram.Add(other);
    }

    /// <summary>Adds every count of another histogram.</summary>
    /// <param name="other">The histogram to add.</param>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Histogram.Add(other.Histogram);
    }

    /// <summary>Forgets every value.</summary>
    public void Reset() => Histogram.Reset();

    /// <summary>The value at a percentile (highest value of its bucket; within 0.8 %).</summary>
    /// <param name="percentile">0 to 100.</param>
    /// <returns>The value in nanoseconds; 0 when empty.</returns>
    public long ValueAtPercentile(double percentile) =>
        TotalCount == 0 ? 0 : Histogram.GetValueAtPercentile(Math.Clamp(percentile, 0, 100));

    /// <summary>
    /// The latency-by-percentile curve, HdrHistogram's percentile iteration (5 ticks per half
    /// distance to 100 %, as in an <c>.hgrm</c> file), in microseconds.
    /// </summary>
    /// <returns>(percentile, microseconds) pairs, ascending; empty when nothing was recorded.</returns>
    public IReadOnlyList<(double Percentile, double Micros)> PercentileCurve()
    {
        var curve = new List<(double, double)>();
        if (TotalCount == 0)
        {
            return curve;
        }

        foreach (var step in Histogram.Percentiles(5))
        {
            curve.Add((step.PercentileLevelIteratedTo, step.ValueIteratedTo / 1000.0));
        }

        return curve;
    }

    /// <summary>Writes HdrHistogram's percentile distribution (<c>.hgrm</c>), values in microseconds.</summary>
    /// <param name="path">The file.</param>
    public void WriteHgrm(string path)
    {
        using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        Histogram.OutputPercentileDistribution(writer, percentileTicksPerHalfDistance: 5, outputValueUnitScalingRatio: 1000.0);
    }
}
