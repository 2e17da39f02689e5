using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One worker's counters and latency histograms. Single writer (the worker), with
/// <see cref="Volatile"/> stores so the live display can read a recent value; nothing here is
/// shared between workers, so the hot path takes no lock and no interlocked operation.
/// </summary>
internal sealed class WorkerStats
{
    private readonly long[] _failures = new long[OperationNames.Count * OperationNames.ReasonCount];
    private long _citizens;
    private long _bookings;
    private long _walkAways;
    private long _cancelled;

    /// <summary>Creates empty stats.</summary>
    public WorkerStats()
    {
        Latency = new LatencyHistogram[OperationNames.Count];
        for (var i = 0; i < Latency.Length; i++)
        {
            Latency[i] = new LatencyHistogram();
        }
    }

    /// <summary>Latency per operation (successes and failures alike), nanoseconds.</summary>
    public LatencyHistogram[] Latency { get; }

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

    /// <summary>Sums several workers' stats (read after they stopped, or as a live approximation).</summary>
    /// <param name="parts">The workers' stats.</param>
    /// <returns>The sum.</returns>
    public static WorkerStats Merge(IEnumerable<WorkerStats> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var total = new WorkerStats();
        foreach (var part in parts)
        {
            for (var i = 0; i < total.Latency.Length; i++)
            {
                total.Latency[i].Add(part.Latency[i]);
            }

            for (var i = 0; i < total._failures.Length; i++)
            {
                total._failures[i] += Volatile.Read(ref part._failures[i]);
            }

            total._citizens += part.Citizens;
            total._bookings += part.Bookings;
            total._walkAways += part.WalkAways;
            total._cancelled += part.Cancelled;
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
