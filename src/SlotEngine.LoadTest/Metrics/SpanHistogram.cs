using HdrHistogram;

namespace SlotEngine.LoadTest.Metrics;

/// <summary>
/// An HdrHistogram with 64-bit counts (the layout of <see cref="LongHistogram"/>) that also keeps
/// the span of count indices it has touched, so that adding it into another and clearing it walk
/// only that span, with plain array loops, instead of every one of the ~4,900 counts through two
/// virtual calls each (<see cref="HistogramBase.Add"/>). The timeline sampler adds 5 operations ×
/// every worker's interval histogram at every look (64 workers: 320 adds); the span of a worker's
/// interval is a few hundred counts, often fewer.
/// </summary>
/// <remarks>
/// Single writer, as <see cref="LongHistogram"/>: a worker records through its <see cref="Recorder"/>
/// (whose phaser hands the interval histogram to the reader only after the writer left it), and
/// the sampler alone adds and clears. The span is only ever widened by recording and narrowed by
/// <see cref="ClearCounts"/>; every non-zero count lies inside it (an empty histogram has
/// <c>_low &gt; _high</c>).
/// </remarks>
internal sealed class SpanHistogram : HistogramBase
{
    private readonly long[] _counts;
    private long _totalCount;
    private int _low = int.MaxValue;
    private int _high = -1;

    /// <summary>Creates an empty histogram.</summary>
    /// <param name="lowestTrackableValue">The lowest value told apart from 0.</param>
    /// <param name="highestTrackableValue">The highest value recordable.</param>
    /// <param name="significantDigits">Significant decimal digits kept.</param>
    public SpanHistogram(long lowestTrackableValue, long highestTrackableValue, int significantDigits)
        : base(lowestTrackableValue, highestTrackableValue, significantDigits)
    {
        _counts = new long[(BucketCount + 1) * (SubBucketCount / 2)]; // HdrHistogram's counts length (internal there)
    }

    /// <summary>Creates an empty histogram with an instance id (the <see cref="Recorder"/>'s factory).</summary>
    /// <param name="instanceId">The id.</param>
    /// <param name="lowestTrackableValue">The lowest value told apart from 0.</param>
    /// <param name="highestTrackableValue">The highest value recordable.</param>
    /// <param name="significantDigits">Significant decimal digits kept.</param>
    public SpanHistogram(long instanceId, long lowestTrackableValue, long highestTrackableValue, int significantDigits)
        : base(instanceId, lowestTrackableValue, highestTrackableValue, significantDigits)
    {
        _counts = new long[(BucketCount + 1) * (SubBucketCount / 2)]; // HdrHistogram's counts length (internal there)
    }

    /// <inheritdoc/>
    public override long TotalCount
    {
        get => _totalCount;
        protected set => _totalCount = value;
    }

    /// <summary>The lowest and highest count index that may be non-zero (low &gt; high when empty).</summary>
    internal (int Low, int High) Span => (_low, _high);

    /// <inheritdoc/>
    protected override int WordSizeInBytes => sizeof(long);

    /// <inheritdoc/>
    protected override long MaxAllowableCount => long.MaxValue;

    /// <inheritdoc/>
    public override HistogramBase Copy()
    {
        var copy = new SpanHistogram(LowestTrackableValue, HighestTrackableValue, NumberOfSignificantValueDigits);
        copy.AddSpan(this);
        return copy;
    }

    /// <summary>
    /// Adds another histogram of the same layout, walking only its touched span; any other
    /// histogram goes through HdrHistogram's own <see cref="HistogramBase.Add"/>.
    /// </summary>
    /// <param name="other">The histogram to add.</param>
    public override void Add(HistogramBase other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other is SpanHistogram span && span._counts.Length == _counts.Length
            && span.LowestTrackableValue == LowestTrackableValue && span.NumberOfSignificantValueDigits == NumberOfSignificantValueDigits)
        {
            AddSpan(span);
        }
        else
        {
            base.Add(other);
        }
    }

    /// <inheritdoc/>
    protected override long GetCountAtIndex(int index) => _counts[index];

    /// <inheritdoc/>
    protected override void SetCountAtIndex(int index, long value)
    {
        _counts[index] = value;
        Widen(index);
    }

    /// <inheritdoc/>
    protected override void IncrementCountAtIndex(int index)
    {
        _counts[index]++;
        Widen(index);
        Volatile.Write(ref _totalCount, _totalCount + 1); // after the count and the span (IntervalRecorder reads the total first); a plain store on x64
    }

    /// <inheritdoc/>
    protected override void AddToCountAtIndex(int index, long addend)
    {
        _counts[index] += addend;
        _totalCount += addend;
        Widen(index);
    }

    /// <inheritdoc/>
    protected override void ClearCounts()
    {
        if (_low <= _high)
        {
            Array.Clear(_counts, _low, _high - _low + 1);
        }

        _totalCount = 0;
        _low = int.MaxValue;
        _high = -1;
    }

    /// <inheritdoc/>
    protected override void CopyCountsInto(long[] target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Array.Copy(_counts, target, Math.Min(_counts.Length, target.Length));
    }

    /// <summary>
    /// The reader's side of an <see cref="IntervalRecorder"/>: adds to <paramref name="into"/> what each
    /// count of this (cumulative, single-writer) histogram gained since <paramref name="seen"/>, and
    /// moves <paramref name="seen"/> up to it. May run while the writer records: each count is one
    /// aligned 64-bit word, read once; the writer only ever raises counts and widens the span, so a
    /// value it records during the walk (or at an index the walk's span did not reach yet) is left in
    /// the difference and taken by the next call, never lost and never taken twice.
    /// </summary>
    /// <param name="seen">The reader's copy of the counts it took so far (same length as the counts).</param>
    /// <param name="into">Receives the new counts.</param>
    internal void AddNewCounts(long[] seen, SpanHistogram into)
    {
        var low = Volatile.Read(ref _low);
        var high = Math.Min(Volatile.Read(ref _high), _counts.Length - 1);
        for (var i = Math.Max(low, 0); i <= high; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            var gained = count - seen[i];
            if (gained != 0)
            {
                seen[i] = count;
                into.AddToCountAtIndex(i, gained);
            }
        }
    }

    /// <summary>The total count as another thread may read it while the one writer records (a volatile read).</summary>
    internal long WrittenCount => Volatile.Read(ref _totalCount);

    /// <summary>The length of the counts array (for a reader's copy, <see cref="AddNewCounts"/>).</summary>
    internal int CountsLength => _counts.Length;

    private void AddSpan(SpanHistogram other)
    {
        var (low, high) = other.Span;
        if (low > high)
        {
            return;
        }

        var source = other._counts.AsSpan(low, high - low + 1);
        var target = _counts.AsSpan(low, high - low + 1);
        for (var i = 0; i < source.Length; i++)
        {
            target[i] += source[i];
        }

        _totalCount += other._totalCount;
        Widen(low);
        Widen(high);
    }

    private void Widen(int index)
    {
        if (index < _low)
        {
            _low = index;
        }

        if (index > _high)
        {
            _high = index;
        }
    }
}
