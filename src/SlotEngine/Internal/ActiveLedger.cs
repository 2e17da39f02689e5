namespace SlotEngine;

/// <summary>
/// Counts each patient's live future appointments against <see cref="SlotEngineOptions.MaxActiveAppointments"/>,
/// as the quota ledger counts a day's: "limit" entries per patient, found by the patient's dense index
/// (<see cref="PatientDirectory"/>) in segments allocated once and never moved. Allocates nothing per claim.
/// </summary>
/// <remarks>
/// <para>An entry is two words: a 64-bit <c>state</c> and the <see cref="Calendar"/> its claim is on. The state is
/// the protocol: <c>0</c> free; <see cref="PendingBit"/> set: taken by a claim in flight; <see cref="ClaimBit"/> set:
/// the claim (slot and fencing token) that the calendar word names. Every state but 0 carries a 23-bit version
/// that each take increments. A claim takes an entry by CAS of its state from free, or from a dead claim, to
/// pending (version + 1) before it touches the calendar; it then writes the calendar word and publishes its claim
/// with a release write of the state (so a reader that sees the claim sees its calendar), or writes 0 when the
/// claim failed. Only one CAS from a given state wins, so at most "limit" claims of a patient are live or in
/// flight at once: the cap is never exceeded. A pending entry counts as used (a racing claim may be refused
/// although the first then fails: conservative, as quotas).</para>
/// <para>A reader judging an entry reads the state, then the calendar, then the state again: when the state is
/// unchanged the calendar is the one of that claim (between the two reads a take would have changed the version;
/// 2^23 takes of one entry in that moment are needed to fool it). Dead means the calendar no longer has that claim
/// (released, expired — reclaimed on the spot by <see cref="Calendar.IsLiveClaim"/>, so a late confirm cannot
/// revive it — displaced, withdrawn) or its day is before today (not a future appointment). "Dead" is final:
/// tokens strictly increase.</para>
/// <para>The calendar word holds old-generation objects only (calendars), so publishing an entry marks no GC card.</para>
/// </remarks>
internal sealed partial class ActiveLedger
{
    private const long ClaimBit = 1L << 62;
    private const long PendingBit = 1L << 61;
    private const int VersionShift = 38; // bits 0-28 token, 29-37 slot, 38-60 version, 61 pending, 62 claim
    private const long VersionMask = (1L << 23) - 1;
    private const int SlotShift = 29;
    private const long TokenMask = (1L << 29) - 1;
    private const int SegmentBits = 16;
    private const int SegmentSize = 1 << SegmentBits;
    private const int MaxSegments = 1 << 15;

    private readonly int _limit;
    private readonly Segment?[] _segments = new Segment?[MaxSegments];

    public ActiveLedger(int limit) => _limit = limit;

    /// <summary>Takes one of the patient's entries, or returns -1 when all hold live future claims or claims in flight.</summary>
    /// <param name="patientIndex">The patient's dense index.</param>
    /// <param name="today">Today, local.</param>
    /// <param name="nowTicks">Now.</param>
    /// <param name="segment">The entry's segment, for <see cref="Commit"/> or <see cref="Abort"/>.</param>
    /// <returns>The entry's index in <paramref name="segment"/>, or -1.</returns>
    public int TryTake(uint patientIndex, DateOnly today, long nowTicks, out Segment segment)
    {
        segment = SegmentOf(patientIndex);
        var first = (int)(patientIndex & (SegmentSize - 1)) * _limit;

        // First pass: a free entry, with no calendar read. Most claims find one (a patient below the cap), so the cap
        // costs one cache line and one CAS; the liveness of the patient's claims is judged only when none is free.
        for (var i = first; i < first + _limit; i++)
        {
            var state = Volatile.Read(ref segment.Entries[i].State);
            if ((state & (PendingBit | ClaimBit)) == 0 && TryPend(segment, i, state))
            {
                return i;
            }
        }

        // Second pass: every entry was used when read; take one whose claim is dead (or that was freed meanwhile).
        for (var i = first; i < first + _limit; i++)
        {
            while (true)
            {
                var state = Volatile.Read(ref segment.Entries[i].State);
                if ((state & PendingBit) != 0 || ((state & ClaimBit) != 0 && IsLive(segment, i, state, today, nowTicks)))
                {
                    break;
                }

                if (TryPend(segment, i, state))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    // Free or dead → pending, version + 1: exactly one claimer wins this entry (the CAS fails if anyone took,
    // committed or freed it since `state` was read).
    private static bool TryPend(Segment segment, int entry, long state)
    {
        var pending = PendingBit | ((((state >> VersionShift) + 1) & VersionMask) << VersionShift);
        return Interlocked.CompareExchange(ref segment.Entries[entry].State, pending, state) == state;
    }

    /// <summary>The claim happened: the entry now names it (calendar first, then the state, published).</summary>
    public static void Commit(Segment segment, int entry, Calendar calendar, int slot, long token)
    {
        var version = Volatile.Read(ref segment.Entries[entry].State) & (VersionMask << VersionShift);
        Volatile.Write(ref segment.Entries[entry].Calendar, calendar);
        Volatile.Write(ref segment.Entries[entry].State, ClaimBit | version | ((long)slot << SlotShift) | (token & TokenMask));
    }

    /// <summary>The claim did not happen: the entry is free again.</summary>
    public static void Abort(Segment segment, int entry) => Volatile.Write(ref segment.Entries[entry].State, 0);

    /// <summary>How many of the patient's entries hold a live future claim (tests, diagnostics).</summary>
    public int LiveCount(uint patientIndex, DateOnly today, long nowTicks)
    {
        var segment = Volatile.Read(ref _segments[patientIndex >> SegmentBits]);
        if (segment is null)
        {
            return 0;
        }

        var live = 0;
        var first = (int)(patientIndex & (SegmentSize - 1)) * _limit;
        for (var i = first; i < first + _limit; i++)
        {
            var state = Volatile.Read(ref segment.Entries[i].State);
            if ((state & ClaimBit) != 0 && IsLive(segment, i, state, today, nowTicks))
            {
                live++;
            }
        }

        return live;
    }

    private static bool IsLive(Segment segment, int entry, long state, DateOnly today, long nowTicks)
    {
        var calendar = Volatile.Read(ref segment.Entries[entry].Calendar);
        if (Volatile.Read(ref segment.Entries[entry].State) != state || calendar is null)
        {
            return true; // changed under us: not judged dead; the caller reads the entry again
        }

        return calendar.Day >= today && calendar.IsLiveClaim((int)((state >> SlotShift) & 0x1FF), state & TokenMask, nowTicks);
    }

    private Segment SegmentOf(uint patientIndex)
    {
        ref var slot = ref _segments[patientIndex >> SegmentBits];
        var segment = Volatile.Read(ref slot);
        if (segment is null)
        {
            var created = new Segment(SegmentSize * _limit);
            // Allocates the segment once: the loser of the race uses the winner's.
            segment = Interlocked.CompareExchange(ref slot, created, null) ?? created;
        }

        return segment;
    }

    /// <summary>Allocates the segments of patient indexes below <paramref name="places"/> now (a directory sized up front).</summary>
    /// <param name="places">The directory's places allocated so far.</param>
    public void Prepare(long places)
    {
        for (var index = 0L; index < places && (index >> SegmentBits) < MaxSegments; index += SegmentSize)
        {
            SegmentOf((uint)index);
        }
    }

    /// <summary>The entries of 65,536 patients.</summary>
    internal sealed class Segment(int entries)
    {
        // The two words of an entry side by side, so that a patient's entries (3 × 16 bytes under MHRS's cap) share one
        // cache line: a claim reads and publishes its entry with one line brought in, not one per array.
        public readonly Entry[] Entries = new Entry[entries];
    }

    /// <summary>One entry: its state (the protocol, see the class remarks) and the calendar its claim is on.</summary>
    internal struct Entry
    {
        public long State;
        public Calendar? Calendar;
    }
}
