namespace SlotEngine.Benchmarks.Floor;

/// <summary>
/// The <see cref="MachineFloorReport.PublicLockedOperations"/> locked operations of one public book + release with MHRS
/// quotas, in the engine's order, each on the word it has in the engine (its own cache line here), with the plain stores
/// between them (the claim cell's publish, the quota entries' commit) and nothing else: no look-up, validation, clock or
/// branch on a rule. What a public book + release would cost if it were only its atomics; the claims goal's budget left
/// for everything else is the floor ÷ 0.25 minus this.
/// </summary>
internal sealed class PublicLockedSequence
{
    private const int Stride = 8; // longs: one 64-byte line each
    private const long Pending = -1;
    private readonly long[] _lines = new long[Enum.GetValues<Line>().Length * Stride];

    private enum Line
    {
        FreeBits,
        LastToken,
        Version,
        ClinicEntry,
        FacilityEntry,
        HeadCell,
    }

    public PublicLockedSequence() => At(Line.FreeBits) = -1L; // every slot free

    /// <summary>Claims <paramref name="slot"/> and releases it again; throws if any step finds the state it should not.</summary>
    /// <param name="slot">0–63.</param>
    public void BookAndRelease(int slot)
    {
        var bit = 1L << slot;

        // The claim: free bit CAS, token CAS, both quota entries to pending, the head cell published, the entries
        // committed, the version bumped.
        ref var free = ref At(Line.FreeBits);
        var bits = Volatile.Read(ref free);
        Check((bits & bit) != 0 && Interlocked.CompareExchange(ref free, bits & ~bit, bits) == bits);
        ref var lastToken = ref At(Line.LastToken);
        var last = Volatile.Read(ref lastToken);
        Check(Interlocked.CompareExchange(ref lastToken, last + 1, last) == last);
        var token = last + 1;
        TakeEntry(ref At(Line.ClinicEntry));
        TakeEntry(ref At(Line.FacilityEntry));
        Volatile.Write(ref At(Line.HeadCell), token);
        Volatile.Write(ref At(Line.ClinicEntry), token);
        Volatile.Write(ref At(Line.FacilityEntry), token);
        Interlocked.Increment(ref At(Line.Version));

        // The release: head cell CAS to 0, the bit given back, the version bumped (the entries stay, to be found dead).
        Check(Interlocked.CompareExchange(ref At(Line.HeadCell), 0, token) == token);
        Interlocked.Or(ref free, bit);
        Interlocked.Increment(ref At(Line.Version));
    }

    private static void TakeEntry(ref long entry)
    {
        var current = Volatile.Read(ref entry);
        Check(current != Pending && Interlocked.CompareExchange(ref entry, Pending, current) == current);
    }

    private static void Check(bool expected)
    {
        if (!expected)
        {
            throw new InvalidOperationException("The locked sequence found a state it never leaves (one thread).");
        }
    }

    private ref long At(Line line) => ref _lines[(int)line * Stride];
}
