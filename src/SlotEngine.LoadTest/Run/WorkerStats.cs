using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One worker's counters and latency recorders. Single writer (the worker), with
/// <see cref="Volatile"/> stores so the timeline sampler can read a recent value; nothing here is
/// shared between workers, so the hot path takes no lock. Latencies go into one
/// <see cref="IntervalRecorder"/> per operation (no interlocked operation per value), whose only
/// reader is the timeline sampler (it takes interval histograms and adds them up); in a merged
/// total (<see cref="Merge"/>) the recorders are unused and <see cref="Latency"/> holds the whole run.
/// </summary>
internal sealed class WorkerStats
{
    private readonly long[] _failures = new long[OperationNames.Count * OperationNames.ReasonCount];
    private long _citizens;
    private long _bookings;
    private long _walkAways;
    private long _cancelled;
    private readonly long[] _untimedCalls = new long[UntimedCalls.Count];
    private readonly long[] _untimedNanos = new long[UntimedCalls.Count];

    /// <summary>Creates empty stats.</summary>
    public WorkerStats()
    {
        Latency = new LatencyHistogram[OperationNames.Count];
        Recorders = new IntervalRecorder[OperationNames.Count];
        for (var i = 0; i < Latency.Length; i++)
        {
            Latency[i] = new LatencyHistogram();
            Recorders[i] = new IntervalRecorder();
        }
    }

    /// <summary>
    /// Latency per operation (successes and failures alike), nanoseconds: in a worker's own stats
    /// empty (its values are in <see cref="Recorders"/>); in a merge, what the caller put there.
    /// </summary>
    public LatencyHistogram[] Latency { get; }

    /// <summary>The worker's latency recorders, one per operation (nanoseconds).</summary>
    public IntervalRecorder[] Recorders { get; }

    /// <summary>Records an operation's latency: allocation-free, wait-free.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="nanos">Its latency in nanoseconds (clamped to the recordable range).</param>
    public void Record(Operation operation, long nanos) => Recorders[(int)operation].RecordValue(LatencyHistogram.Clamp(nanos));

    /// <summary>Counts an untimed call (<see cref="UntimedCall"/>) and adds its time.</summary>
    /// <param name="call">What the call was.</param>
    /// <param name="nanos">Its time in nanoseconds.</param>
    public void AddUntimed(UntimedCall call, long nanos)
    {
        Volatile.Write(ref _untimedCalls[(int)call], _untimedCalls[(int)call] + 1);
        Volatile.Write(ref _untimedNanos[(int)call], _untimedNanos[(int)call] + nanos);
    }

    /// <summary>How many calls of a kind the generator made outside the operations table, and their summed time.</summary>
    /// <param name="call">The kind.</param>
    /// <returns>The count and the nanoseconds.</returns>
    public (long Count, long Nanos) Untimed(UntimedCall call) => (Volatile.Read(ref _untimedCalls[(int)call]), Volatile.Read(ref _untimedNanos[(int)call]));

    /// <summary>Failures of every operation by reason (summed over operations), read now.</summary>
    /// <param name="into">Receives the counts, indexed by reason.</param>
    public void FailuresByReason(Span<long> into)
    {
        for (var op = 0; op < OperationNames.Count; op++)
        {
            for (var r = 0; r < OperationNames.ReasonCount; r++)
            {
                into[r] += Volatile.Read(ref _failures[(op * OperationNames.ReasonCount) + r]);
            }
        }
    }

    /// <summary>Citizens who arrived.</summary>
    public long Citizens => Volatile.Read(ref _citizens);

    /// <summary>Confirmed bookings.</summary>
    public long Bookings => Volatile.Read(ref _bookings);

    /// <summary>Holds left to expire.</summary>
    public long WalkAways => Volatile.Read(ref _walkAways);

    /// <summary>Bookings cancelled by their patients.</summary>
    public long Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>First error messages, for the report (at most a few).</summary>
    public List<string> Errors { get; } = [];

    /// <summary>How often an operation failed for a reason.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="reason">The reason.</param>
    /// <returns>The count.</returns>
    public long Failures(Operation operation, FailureReason reason) =>
        Volatile.Read(ref _failures[((int)operation * OperationNames.ReasonCount) + (int)reason]);

    /// <summary>Counts a failure.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="reason">The reason.</param>
    public void Fail(Operation operation, FailureReason reason)
    {
        ref var slot = ref _failures[((int)operation * OperationNames.ReasonCount) + (int)reason];
        Volatile.Write(ref slot, slot + 1);
    }

    /// <summary>Counts an error and keeps its message if few are kept yet.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="error">The exception.</param>
    public void Fail(Operation operation, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Fail(operation, FailureReason.Error);
        lock (Errors)
        {
            if (Errors.Count < 5)
            {
                Errors.Add(OperationNames.Name(operation) + ": " + error.GetType().Name + ": " + error.Message);
            }
        }
    }

    /// <summary>Counts an arrival.</summary>
    public void Arrived() => Volatile.Write(ref _citizens, _citizens + 1);

    /// <summary>Counts a confirmed booking.</summary>
    public void Booked() => Volatile.Write(ref _bookings, _bookings + 1);

    /// <summary>Counts a walk-away.</summary>
    public void WalkedAway() => Volatile.Write(ref _walkAways, _walkAways + 1);

    /// <summary>Counts a cancel that took effect.</summary>
    public void CancelDone() => Volatile.Write(ref _cancelled, _cancelled + 1);

    /// <summary>Sums several workers' counters (read after they stopped), with the run's latency totals.</summary>
    /// <param name="parts">The workers' stats.</param>
    /// <param name="latency">The whole run's latency per operation (from the timeline sampler), or <see langword="null"/> to leave it empty.</param>
    /// <returns>The sum.</returns>
    public static WorkerStats Merge(IEnumerable<WorkerStats> parts, IReadOnlyList<LatencyHistogram>? latency = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var total = new WorkerStats();
        if (latency is not null)
        {
            for (var i = 0; i < total.Latency.Length; i++)
            {
                total.Latency[i].Add(latency[i]);
            }
        }

        foreach (var part in parts)
        {
            for (var i = 0; i < total._failures.Length; i++)
            {
                total._failures[i] += Volatile.Read(ref part._failures[i]);
            }

            total._citizens += part.Citizens;
            total._bookings += part.Bookings;
            total._walkAways += part.WalkAways;
            total._cancelled += part.Cancelled;
            for (var i = 0; i < UntimedCalls.Count; i++)
            {
                var (count, nanos) = part.Untimed((UntimedCall)i);
                total._untimedCalls[i] += count;
                total._untimedNanos[i] += nanos;
            }

            lock (part.Errors)
            {
                foreach (var error in part.Errors)
                {
                    if (total.Errors.Count < 10)
                    {
                        total.Errors.Add(error);
                    }
                }
            }
        }

        return total;
    }
}
