using System.Numerics;

namespace SlotEngine.LoadTest.Metrics;

/// <summary>
/// A log-linear latency histogram in the manner of HdrHistogram: values (nanoseconds) below
/// 2^<see cref="SubBucketBits"/> (256) are counted exactly; above that, each power-of-two range is
/// cut into 128 equal buckets, so a bucket is never wider than 1/128 of the values in it. Reporting
/// a bucket's midpoint bounds the relative error of any percentile by 1/256 (0.4 %), well inside
/// the 1 % we promise.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> Index <c>i &lt; 256</c> holds value <c>i</c> exactly. A value
/// <c>v ≥ 256</c> with highest set bit <c>h</c> goes to shift <c>s = h − 7</c> (1 or more) and
/// sub-bucket <c>v &gt;&gt; s</c> (128…255): index <c>128·s + (v &gt;&gt; s)</c>. Each shift owns
/// 128 buckets of width <c>2^s</c>, all values in them ≥ <c>128·2^s</c>.</para>
/// <para><b>Threads.</b> One writer (the worker that owns it) records with plain stores; nothing
/// is shared on the hot path. Readers (the live display) may read while it writes and see a count
/// a moment old, never a torn one (aligned 64-bit reads). Final numbers come from
/// <see cref="Add"/> after the workers stop.</para>
/// </remarks>
internal sealed class LatencyHistogram
{
    /// <summary>log2 of the exactly-counted range and of the buckets per doubling (×2).</summary>
    public const int SubBucketBits = 8;

    private const int SubBucketCount = 1 << SubBucketBits;
    private const int HalfCount = SubBucketCount / 2;

    /// <summary>Largest recordable value: about 2^44 ns (4.9 hours); larger values are clamped.</summary>
    public const long MaxValue = (1L << 44) - 1;

    private static readonly int BucketCount = IndexOf(MaxValue) + 1;

    private readonly long[] _counts = new long[BucketCount];
    private long _total;
    private long _max;
    private long _min = long.MaxValue;
    private long _sum;

    /// <summary>Number of values recorded.</summary>
    public long TotalCount => Volatile.Read(ref _total);

    /// <summary>The largest value recorded, exactly (0 when empty).</summary>
    public long Max => Volatile.Read(ref _max);

    /// <summary>The smallest value recorded, exactly (0 when empty).</summary>
    public long Min => TotalCount == 0 ? 0 : Volatile.Read(ref _min);

    /// <summary>The mean of the values recorded (0 when empty).</summary>
    public double Mean => TotalCount == 0 ? 0 : (double)Volatile.Read(ref _sum) / TotalCount;

    /// <summary>Records one value. Single writer; negative values count as 0.</summary>
    /// <param name="value">The value, in nanoseconds.</param>
    public void Record(long value)
    {
        value = Math.Clamp(value, 0, MaxValue);
        _counts[IndexOf(value)]++;
        _sum += value;
        Volatile.Write(ref _total, _total + 1);
        if (value > _max)
        {
            Volatile.Write(ref _max, value);
        }

        if (value < _min)
        {
            _min = value;
        }
    }

    /// <summary>Adds every count of another histogram to this one.</summary>
    /// <param name="other">The histogram to merge in.</param>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += Volatile.Read(ref other._counts[i]);
        }

        _total += other.TotalCount;
        _sum += Volatile.Read(ref other._sum);
        _max = Math.Max(_max, other.Max);
        if (other.TotalCount > 0)
        {
            _min = Math.Min(_min, Volatile.Read(ref other._min));
        }
    }

    /// <summary>A copy holding this histogram's counts minus an earlier copy's: the values recorded in between.</summary>
    /// <param name="earlier">An earlier copy of the same histogram (or of a merge of the same ones).</param>
    /// <returns>The interval histogram; its max is that of the buckets seen, not exact.</returns>
    public LatencyHistogram Minus(LatencyHistogram earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var result = new LatencyHistogram();
        long total = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            var count = Math.Max(0, _counts[i] - earlier._counts[i]);
            result._counts[i] = count;
            total += count;
            if (count > 0)
            {
                result._max = Math.Min(HighestEquivalent(i), _max);
                result._min = Math.Min(result._min, LowestEquivalent(i));
            }
        }

        result._total = total;
        result._sum = Math.Max(0, _sum - earlier._sum);
        return result;
    }

    /// <summary>The value at a percentile, within 0.4 % of the recorded value at that rank (exact below 256 ns).</summary>
    /// <param name="percentile">0 to 100.</param>
    /// <returns>The value in nanoseconds; 0 when empty.</returns>
    public long ValueAtPercentile(double percentile)
    {
        var total = TotalCount;
        if (total == 0)
        {
            return 0;
        }

        percentile = Math.Clamp(percentile, 0, 100);
        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Clamp(MidpointOf(i), Min, Math.Max(Min, Max));
            }
        }

        return Max;
    }

    /// <summary>The bucket of a value.</summary>
    /// <param name="value">0 to <see cref="MaxValue"/>.</param>
    /// <returns>Its index.</returns>
    internal static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        var shift = BitOperations.Log2((ulong)value) - (SubBucketBits - 1);
        return (shift * HalfCount) + (int)(value >> shift);
    }

    /// <summary>The smallest value that falls in a bucket.</summary>
    /// <param name="index">The bucket.</param>
    /// <returns>The value.</returns>
    internal static long LowestEquivalent(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        var shift = (index / HalfCount) - 1;
        var sub = index - (shift * HalfCount);
        return (long)sub << shift;
    }

    /// <summary>The largest value that falls in a bucket.</summary>
    /// <param name="index">The bucket.</param>
    /// <returns>The value.</returns>
    internal static long HighestEquivalent(int index) =>
        index < SubBucketCount ? index : LowestEquivalent(index) + (1L << ((index / HalfCount) - 1)) - 1;

    private static long MidpointOf(int index) =>
        index < SubBucketCount ? index : LowestEquivalent(index) + ((HighestEquivalent(index) - LowestEquivalent(index)) / 2);
}
