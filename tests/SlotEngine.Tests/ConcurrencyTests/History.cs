namespace SlotEngine.Tests.ConcurrencyTests;

internal enum EventKind
{
    Claim,
    Confirm,
    Release,
    Block,
    Sweep,
}

/// <summary>
/// One operation as a thread saw it: sequence numbers taken just before and just after the call
/// (so "A ended before B started" is provable), the fake time read around it, and what it returned.
/// </summary>
internal sealed record HistoryEvent(
    EventKind Kind,
    int Thread,
    long StartSeq,
    long EndSeq,
    long TimeBefore,
    long TimeAfter,
    Reservation Reservation,
    ClaimStatus Status,
    IReadOnlyList<Reservation> Ended)
{
    public bool Succeeded => Status == ClaimStatus.Succeeded;
}

/// <summary>A thread-safe source of sequence numbers and per-thread event lists.</summary>
internal sealed class History
{
    private readonly List<HistoryEvent>[] _perThread;
    private long _seq;

    public History(int threads) => _perThread = Enumerable.Range(0, threads).Select(_ => new List<HistoryEvent>()).ToArray();

    public long Next() => Interlocked.Increment(ref _seq);

    public void Add(int thread, HistoryEvent e) => _perThread[thread].Add(e);

    public IReadOnlyList<HistoryEvent> All() => _perThread.SelectMany(l => l).OrderBy(e => e.StartSeq).ToList();
}
