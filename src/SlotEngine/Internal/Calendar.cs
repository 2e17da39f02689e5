using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace SlotEngine;

/// <summary>
/// One provider's one local day: the unit of atomicity. Lock-free.
/// </summary>
/// <remarks>
/// <para><b>Words.</b> Each seat (capacity seat) has a bitmap of free slots, <c>ceil(slots/64)</c>
/// words at the start of <see cref="_slab"/>, seat after seat. Bit <c>s % 64</c> of word <c>s / 64</c> is 1 when
/// slot <c>s</c> of that seat is free. Each seat of each slot also has a claim cell in
/// <see cref="_slab"/> (see <see cref="ClaimCell"/>): none, held, booked or closed. A cell is stored as a 32-bit
/// state word (kind, head, approval bit and the whole token: what every CAS below compares) and its patient
/// index beside it, written by the claim's owner before the state word; <see cref="ReadCellAt"/>,
/// <see cref="PublishCell"/> and <see cref="TryCasCell"/> are the only ways in.</para>
/// <para><b>Invariant.</b> A free bit of 1 implies its cell is 0. A bit of 0 with a cell of 0 is a
/// transition in progress (a claim being written, or a release or block under way). Readers do not
/// wait for it: a snapshot reads it as held by nobody (a hint, see <see cref="ReadSeat"/>); claimers
/// treat the slot as taken; only <see cref="Block"/>, an administrative operation that must not close
/// a slot under a half-written claim, waits it out with <see cref="SpinWait"/>. When no operation is in
/// progress, more holds (<see cref="FindQuiescentViolation"/>; tests check it after every step).</para>
/// <para><b>Ownership.</b> The thread whose CAS cleared a slot's free bit, or moved a head cell away
/// from a claim, owns that slot's cells until it gives the bit back; nobody else writes them. Debug
/// builds assert it where each winner starts to write (<see cref="AssertOwned"/>). A read model loaded
/// from a store is the exception: a load and a query's lazy reclaim may cross (see
/// <see cref="LoadReadModel"/>), so the assertion is off there.</para>
/// <para><b>Claim</b> (hold or book k slots on a seat): for each word the range touches, in
/// ascending order, one CAS clears exactly the range's bits, and only if all of them are 1. The
/// CAS on the last word is the claim's linearization point; if any word fails, the words already
/// cleared are given back with <see cref="Interlocked.Or(ref ulong, ulong)"/> (to a racing claimer
/// the range looked taken meanwhile, as though claimed and released). Only then is a token taken
/// and the cells written: the non-head cells first, the head cell (first slot) last, so a head cell
/// with a token means the whole claim is visible.</para>
/// <para><b>Confirm, release, reclaim, block</b> each start with one CAS on the head cell; the
/// winner owns the claim. Confirm changes the other cells held → booked by CAS; release, reclaim
/// and block set them to 0 (or closed) by CAS, and only after all cells are cleared are the bits
/// given back. A confirm that races a release on the same token is ordered by the head CAS.</para>
/// <para><b>Counters.</b> Free seats are the popcount of the free words (no separate counter to keep
/// in step on every claim); <see cref="_version"/> increases at every transition; tokens come from
/// <see cref="_lastToken"/> and strictly increase, also across a withdrawal: a day published again
/// starts above the last token of its withdrawn calendar, so an old reservation is stale. <see cref="_earliestHoldExpiry"/> is a lower
/// bound of every live hold's expiry, so a claim or query knows without looking whether an expired
/// hold may be there to reclaim.</para>
/// </remarks>
internal sealed partial class Calendar
{
    /// <summary>
    /// The day's slab that holds this calendar's slot state (<see cref="DaySlab"/>; no array of its own): from
    /// its place (<see cref="_place"/>), the free words (<see cref="FreeWordCount"/> longs), then the cells' 32-bit state words
    /// (see <see cref="ClaimCell"/>, stored form), then the cells' 16-bit patient low halves. 6 bytes per cell
    /// and a bit, against 8 bytes and a bit for a 64-bit cell. The slab also gives the layout and the shape.
    /// </summary>
    private readonly DaySlab _slab;

    /// <summary>This calendar's place in <see cref="_slab"/>: its words start at place × <see cref="DaySlab.Stride"/>.</summary>
    private readonly int _place;

    private int _lastToken;
    private long _version;
    private int _liveHolds;

    /// <summary>
    /// The earliest-hold-expiry bound, in whole seconds from the layout's <see cref="DayLayout.DayStartUtcTicks"/>, rounded
    /// down (so still a lower bound); <see cref="NoHoldBound"/> when no hold is live, <see cref="FarPastBound"/> for one
    /// too far before the day to count in seconds. 32 bits instead of 64: see <see cref="EarliestHoldExpiryTicks"/>.
    /// </summary>
    private int _earliestHoldExpiry = NoHoldBound;

    private const int NoHoldBound = int.MaxValue;
    private const int FarPastBound = int.MinValue;

    public Calendar(ProviderEntry provider, DayLayout layout, long lastToken = 0)
    {
        // Tokens are at most MaxToken (IssueToken never goes past it), so the last token fits 32 bits.
        _lastToken = (int)Math.Clamp(lastToken, 0, ClaimCell.MaxToken);
        Provider = provider;
        _slab = layout.TakeCalendarPlace(out _place);

        // The last token of the replaced calendar, at most MaxToken (a larger one says the same: every token is at or below it).
        _slab.SetTokenFloor(_place, _lastToken);

        // The place is this calendar's alone and not yet published (plain writes; the ring's publish is the release).
        for (var seat = 0; seat < Capacity; seat++)
        {
            for (var slot = 0; slot < SlotCount; slot++)
            {
                if (layout.IsOffered(slot))
                {
                    FreeWord((seat * WordsPerSeat) + (slot >> 6)) |= 1UL << slot;
                }
                else
                {
                    StateAt(CellIndex(seat, slot)) = ClaimCell.StateOf(ClaimCell.Closed);
                }
            }
        }
    }

    /// <summary>How many free words the calendar has (<see cref="WordsPerSeat"/> × <see cref="Capacity"/>).</summary>
    public int FreeWordCount => _slab.FreeWordCount;

    /// <summary>How many claim cells the calendar has (<see cref="SlotCount"/> × <see cref="Capacity"/>).</summary>
    public int CellCount => _slab.CellCount;

    /// <summary>This calendar's extras beside the slab (read-model view and lock), made on first need.</summary>
    private CalendarExtras Extras => _slab.EnsureExtras(_place);

    /// <summary>Where this calendar's words start in <see cref="DaySlab.Words"/>.</summary>
    private int Base => _place * _slab.Stride;

    public ProviderEntry Provider { get; }

    /// <summary>This calendar's own number (process-wide, wrapping after 2^32 calendars): its part of the keys of its hold expiries in the day's table, so that a day withdrawn and published again never reads the old calendar's expiries.</summary>
    public uint Id => unchecked(_slab.FirstId + (uint)_place);

    public DayLayout Layout => _slab.Layout;

    public DateOnly Day => Layout.Day;

    public CalendarKey Key => new(Provider.Id, Layout.Day);

    public int SlotCount => _slab.SlotCount;

    public int Capacity => _slab.Capacity;

    public int WordsPerSeat => _slab.WordsPerSeat;

    /// <summary>Free seats now: the popcount of the free words (a hint: a transition may be in progress).</summary>
    public int FreeSeats => CountFreeBits();

    /// <summary>Bumped by every transition.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>The last token of the withdrawn calendar this one replaced (0 if none): tokens at or below it name claims of that calendar.</summary>
    public long TokenFloor => _slab.TokenFloorAt(_place);

    /// <summary>The earliest-hold-expiry bound in UTC ticks (long.MaxValue: no live hold); a lower bound of every live hold's expiry.</summary>
    internal long EarliestHoldExpiryTicks => BoundToTicks(Volatile.Read(ref _earliestHoldExpiry));

    private long BoundToTicks(int bound) => bound switch
    {
        NoHoldBound => long.MaxValue,
        FarPastBound => long.MinValue,
        _ => Layout.DayStartUtcTicks + (bound * TimeSpan.TicksPerSecond),
    };

    /// <summary>The bound for an expiry: whole seconds from the day's start, rounded down (toward the past), so never above it.</summary>
    private int TicksToBound(long ticks)
    {
        if (ticks == long.MaxValue)
        {
            return NoHoldBound;
        }

        // Within ±(2^31 − 1) seconds of the day's start the floor of the difference in seconds fits; farther in the past the bound
        // is "far past" (always due), farther in the future the largest bound below "no hold" (still below the expiry).
        const long Reach = int.MaxValue * TimeSpan.TicksPerSecond;
        var dayStart = Layout.DayStartUtcTicks;
        if (ticks <= dayStart - Reach)
        {
            return FarPastBound;
        }

        if (ticks >= dayStart + Reach)
        {
            return NoHoldBound - 1;
        }

        var delta = ticks - dayStart;
        return (int)(delta >= 0 ? delta / TimeSpan.TicksPerSecond : -((-delta + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond));
    }

    /// <summary>The last token issued.</summary>
    public long LastToken => Volatile.Read(ref _lastToken);

    private int CellIndex(int seat, int slot) => (seat * SlotCount) + slot;

    private int WordIndex(int seat, int slot) => (seat * WordsPerSeat) + (slot >> 6);

    private ulong ReadCell(int seat, int slot) => ReadCellAt(CellIndex(seat, slot));

    private bool IsFreeBit(int seat, int slot) => (Volatile.Read(ref FreeWord(WordIndex(seat, slot))) & (1UL << slot)) != 0;

    /// <summary>Free word <paramref name="index"/> (0 to <see cref="FreeWordCount"/> − 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong FreeWord(int index)
    {
        if ((uint)index >= (uint)FreeWordCount)
        {
            ThrowCellOutOfRange(index);
        }

        return ref _slab.Words[Base + index];
    }

    /// <summary>All free words, for a scan (one slab and bounds look-up for the whole scan instead of one per word).</summary>
    private Span<ulong> FreeWords => _slab.Words.AsSpan(Base, FreeWordCount);

    /// <summary>The 32-bit state word of cell <paramref name="index"/>: the CAS target of the claim-cell protocol.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref uint StateAt(int index)
    {
        if ((uint)index >= (uint)CellCount)
        {
            ThrowCellOutOfRange(index);
        }

        return ref Unsafe.Add(ref Unsafe.As<ulong, uint>(ref _slab.Words[Base + _slab.StatesAt]), index);
    }

    /// <summary>The 16-bit low half of cell <paramref name="index"/>'s patient index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ushort PatientLowAt(int index)
    {
        if ((uint)index >= (uint)CellCount)
        {
            ThrowCellOutOfRange(index);
        }

        return ref Unsafe.Add(ref Unsafe.As<ulong, ushort>(ref _slab.Words[Base + _slab.PatientsAt]), index);
    }

    [DoesNotReturn]
    private static void ThrowCellOutOfRange(int index) => throw new ArgumentOutOfRangeException(nameof(index), index, "outside the calendar's cells");

    /// <summary>
    /// Reads cell <paramref name="index"/> as one 64-bit value (<see cref="ClaimCell"/>): its state word and, for a
    /// claim, its patient. The patient is not in the word the CAS changes, so the read is validated like a seqlock:
    /// state, patient, state again, and retried if the state moved. An unchanged state word with a token is the
    /// same claim (a token is issued once per calendar, and this array is never reused for another calendar), and
    /// that claim's owner wrote the patient before publishing the state (<see cref="PublishCell"/>) and does not
    /// change it while the claim lives; so the patient read belongs to the state read.
    /// </summary>
    private ulong ReadCellAt(int index)
    {
        ref var word = ref StateAt(index);
        while (true)
        {
            var state = Volatile.Read(ref word);
            if (!ClaimCell.StateIsClaim(state))
            {
                return ClaimCell.FromState(state, 0);
            }

            var patient = ReadPatient(index);
            if (Volatile.Read(ref word) == state)
            {
                return ClaimCell.FromState(state, patient);
            }
        }
    }

    private uint ReadPatient(int index)
    {
        uint low = Volatile.Read(ref PatientLowAt(index));
        var high = _slab.PatientHigh;
        return high is null ? low : low | ((uint)Volatile.Read(ref high[(_place * CellCount) + index]) << 16);
    }

    /// <summary>
    /// Writes cell <paramref name="index"/> as its owner (the winner of its free bit, or of its head CAS, or a
    /// read-model load under its lock): for a claim the patient first (release writes), then the state word with a
    /// release write, so a reader that sees the state sees the patient.
    /// </summary>
    private void PublishCell(int index, ulong cell)
    {
        if (ClaimCell.IsClaim(cell))
        {
            var patient = ClaimCell.Patient(cell);
            Volatile.Write(ref PatientLowAt(index), unchecked((ushort)patient));
            var high = _slab.PatientHigh;
            if (high is null && patient > ushort.MaxValue)
            {
                // Made once per slab and never taken back: every later owner of any cell (whose bit CAS comes after
                // this claim in the cell's history) sees it and overwrites its half.
                high = _slab.EnsurePatientHigh();
            }

            if (high is not null)
            {
                Volatile.Write(ref high[(_place * CellCount) + index], unchecked((ushort)(patient >> 16)));
            }
        }

        Volatile.Write(ref StateAt(index), ClaimCell.StateOf(cell));
    }

    /// <summary>
    /// The claim-cell CAS: moves cell <paramref name="index"/> from <paramref name="expected"/> to
    /// <paramref name="value"/> if its state word is still <paramref name="expected"/>'s. Comparing the state word is
    /// comparing the whole cell: a state with a token names one claim and so one patient (see <see cref="ReadCellAt"/>),
    /// and <paramref name="value"/> keeps that patient (a kind change, the approval bit) or is no claim (0, closed).
    /// </summary>
    private bool TryCasCell(int index, ulong expected, ulong value)
    {
        Debug.Assert(!ClaimCell.IsClaim(value) || ClaimCell.Patient(value) == ClaimCell.Patient(expected), "a CAS never changes a live claim's patient");
        var seen = ClaimCell.StateOf(expected);
        return Interlocked.CompareExchange(ref StateAt(index), ClaimCell.StateOf(value), seen) == seen;
    }

    /// <summary>Gives slots back to a seat's bitmap. The caller owns them: their cells are already 0.</summary>
    private void ReturnBits(int seat, int first, int length)
    {
        var end = first + length;
        var slot = first;
        while (slot < end)
        {
            var wordEnd = Math.Min(end, (slot | 63) + 1);
            // Atomic OR: sets only bits this thread owns (their cells are 0), never clobbering a racing claim CAS
            // on other bits of the word; a claimer sees the slots free from the moment the OR lands.
            Interlocked.Or(ref FreeWord(WordIndex(seat, slot)), RangeMask(slot, wordEnd));
            slot = wordEnd;
        }
    }

    /// <summary>The bits of slots [from, to) within one word; both in the same word, or <paramref name="to"/> on the next word boundary.</summary>
    private static ulong RangeMask(int from, int to)
    {
        var count = to - from;
        var ones = count == 64 ? ulong.MaxValue : (1UL << count) - 1;
        return ones << (from & 63);
    }

    // Atomic +1 after a change's cells and bits are written: a reader that sees version v sees every change
    // counted in v; it may also see cells of a change whose bump has not landed yet.
    private void BumpVersion() => Interlocked.Increment(ref _version);

    /// <summary>
    /// The expiry written for a hold whose head is this cell (long.MaxValue if no hold was ever
    /// written there). Expiries live in the day's table (<see cref="DayLayout.HoldExpiries"/>), keyed
    /// by this calendar and the cell; a hold writes its expiry there before it publishes its head
    /// cell (release), so a reader that saw the head cell (acquire) finds the expiry.
    /// </summary>
    /// <remarks>
    /// The place is the cell's, not one claim's: the next hold on the cell writes its own expiry there. So it is written only
    /// by the claim that owns the cell's bits (<see cref="WriteClaim"/>; a store's read model under its lock), never by a
    /// thread that merely read a head (see <see cref="TryAwaitApproval"/>), and a value read here is trusted only together
    /// with a head CAS from the head read before it. Readers of a head use <see cref="HeadExpiryAt"/>.
    /// </remarks>
    private long HoldExpiryAt(int seat, int slot)
    {
        if (Layout.HoldExpiries is not { } table || table.Find(DayLayout.HoldKey(Id, CellIndex(seat, slot)), out var place) < 0)
        {
            return long.MaxValue;
        }

        return Volatile.Read(ref place.Payload(0));
    }

    /// <summary>
    /// The expiry of the hold whose head cell, as read, is <paramref name="headCell"/> at (<paramref name="seat"/>,
    /// <paramref name="first"/>): its place's (<see cref="HoldExpiryAt"/>), or for an unapproved booking (the head's approval
    /// bit) its day's approval deadline (<see cref="DayLayout.ApprovalDeadlineTicks"/>). A confirm that leaves a hold
    /// awaiting approval sets only the bit (<see cref="TryAwaitApproval"/>), so the bit, read in the same head as the token,
    /// is what says the deadline applies; a direct unapproved booking has the deadline in its place too. A store's read
    /// model whose layout has no deadline (its engine has no approval rule) keeps the store's deadline in the place.
    /// </summary>
    private long HeadExpiryAt(int seat, int first, ulong headCell)
    {
        if (ClaimCell.AwaitsApproval(headCell) && Layout.ApprovalDeadlineTicks is var deadline and not 0)
        {
            return deadline;
        }

        return HoldExpiryAt(seat, first);
    }

    /// <summary>The hold-expiry places of this calendar, by cell index: made in the day's table on first write.</summary>
    private readonly struct HoldExpiries(Calendar calendar, KeyTable table)
    {
        public ref long this[int cellIndex]
        {
            get
            {
                table.GetOrAdd(DayLayout.HoldKey(calendar.Id, cellIndex), out var place);
                return ref place.Payload(0);
            }
        }
    }

    /// <summary>Whether this calendar is a read model a store loads (see <see cref="LoadReadModel"/>): ownership is not asserted there.</summary>
    private bool IsReadModel => _slab.ExtrasAt(_place) is { } extras && Volatile.Read(ref extras.ReadModelLock) is not null;

    /// <summary>The read-model lock (see <see cref="LoadReadModel"/>), made on first use: from then on this calendar is a read model.</summary>
    private Lock ReadModelLock
    {
        get
        {
            var extras = Extras;
            return Volatile.Read(ref extras.ReadModelLock) ?? Interlocked.CompareExchange(ref extras.ReadModelLock, new Lock(), null) ?? extras.ReadModelLock!;
        }
    }

    /// <summary>
    /// Debug: this thread has just won the CAS that makes seat <paramref name="seat"/> of slots
    /// [<paramref name="first"/>, <paramref name="end"/>) its own (a claim's bits, a head cell, a
    /// block's or reopen's seat): their bits are 0 and their cells 0, and stay so until it writes them.
    /// </summary>
    [Conditional("DEBUG")]
    private void AssertOwned(int seat, int first, int end, string winner)
    {
        if (IsReadModel)
        {
            return;
        }

        for (var slot = first; slot < end; slot++)
        {
            Debug.Assert(!IsFreeBit(seat, slot), $"{Key} seat {seat} slot {slot}: {winner} owns it, but its free bit is 1");
            Debug.Assert(ReadCell(seat, slot) == ClaimCell.None, $"{Key} seat {seat} slot {slot}: {winner} owns it, but its cell is {ReadCell(seat, slot):x16}");
        }
    }

    /// <summary>
    /// The first broken invariant of a calendar on which no operation is in progress, or null. Beyond
    /// "a free bit of 1 has a cell of 0": a cell of 0 has a free bit of 1 (no transition left half
    /// done); a closed cell is exactly <see cref="ClaimCell.Closed"/>, with a bit of 0, and only on
    /// a slot the template offers or not at all (an unoffered slot is always closed); every claim is a
    /// head followed by cells of its token, kind and patient, inside one session, with a token in
    /// (<see cref="TokenFloor"/>, <see cref="LastToken"/>]; the live-hold count is the number of held
    /// heads; <see cref="_earliestHoldExpiry"/> is at or below every held head's expiry; the free count
    /// is the number of cells of 0. For tests (after every step of a model run, at the end of a stress
    /// run); not a hot path. "A free bit of 1 has a cell of 0" holds at every instant, but nobody can
    /// check it mid-flight (the bit and the cell are two reads, and a claim or release may pass between
    /// them), so the invariants are checked between operations, and during them the Debug ownership
    /// assertions (<see cref="AssertOwned"/>) watch each CAS winner.
    /// </summary>
    internal string? FindQuiescentViolation()
    {
        var heldHeads = 0;
        var emptyCells = 0;
        var earliest = EarliestHoldExpiryTicks;
        for (var seat = 0; seat < Capacity; seat++)
        {
            var head = -1;
            var headCell = 0UL;
            for (var slot = 0; slot < SlotCount; slot++)
            {
                var cell = ReadCell(seat, slot);
                var free = IsFreeBit(seat, slot);
                var where = $"{Key} seat {seat} slot {slot}";
                if (cell == ClaimCell.None)
                {
                    emptyCells++;
                    if (!free)
                    {
                        return where + ": cell 0 with a free bit of 0 (a transition left half done)";
                    }

                    head = -1;
                    continue;
                }

                if (free)
                {
                    return where + $": free bit 1 with cell {cell:x16}";
                }

                if (!Layout.IsOffered(slot) && cell != ClaimCell.Closed)
                {
                    return where + $": the template does not offer the slot, but its cell is {cell:x16}";
                }

                if (ClaimCell.Kind(cell) == ClaimCell.KindClosed)
                {
                    if (cell != ClaimCell.Closed)
                    {
                        return where + $": a closed cell with other bits set ({cell:x16})";
                    }

                    head = -1;
                    continue;
                }

                var token = ClaimCell.Token(cell);
                if (ClaimCell.IsHead(cell))
                {
                    if (token <= TokenFloor || token > LastToken)
                    {
                        return where + $": token {token} outside ({TokenFloor}, {LastToken}]";
                    }

                    if (ClaimCell.AwaitsApproval(cell) && ClaimCell.Kind(cell) != ClaimCell.KindHeld)
                    {
                        return where + $": the approval bit on a head that is not held ({cell:x16})";
                    }

                    head = slot;
                    headCell = cell;
                    if (ClaimCell.Kind(cell) == ClaimCell.KindHeld)
                    {
                        heldHeads++;
                        var expiry = HeadExpiryAt(seat, slot, cell);
                        if (expiry < earliest)
                        {
                            return where + $": a hold expiring at {expiry} is below the earliest-expiry bound {earliest}";
                        }
                    }

                    continue;
                }

                if (head < 0)
                {
                    return where + ": a claim cell with no head before it";
                }

                if (cell != ClaimCell.BodyOf(headCell))
                {
                    return where + $": cell {cell:x16} is not the body of the claim headed at slot {head} ({headCell:x16})";
                }

                if (Layout.Template.SessionOf(slot) != Layout.Template.SessionOf(head))
                {
                    return where + $": the claim headed at slot {head} crosses a session";
                }
            }
        }

        var liveHolds = Volatile.Read(ref _liveHolds);
        if (liveHolds != heldHeads)
        {
            return $"{Key}: the live-hold count is {liveHolds}, but {heldHeads} held heads are there";
        }

        var freeBits = CountFreeBits();
        return freeBits == emptyCells ? null : $"{Key}: {freeBits} free bits but {emptyCells} empty cells";
    }

    /// <summary>Counts the free bits now (for <see cref="FreeSeats"/>, tests and the invariant check; not a hot path).</summary>
    internal int CountFreeBits()
    {
        // One slab, place and bounds look-up for the whole count (FreeWord(i) per word reads the slab's shape each time).
        var popcount = 0;
        foreach (ref var word in FreeWords)
        {
            popcount += BitOperations.PopCount(Volatile.Read(ref word));
        }

        return popcount;
    }

    /// <summary>
    /// Whether at least <paramref name="seats"/> free bits are set now (a hint, as <see cref="FreeSeats"/>): what a
    /// search asks of every calendar before it scans one, so it stops at the first word that answers it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool HasFreeSeats(int seats)
    {
        var popcount = 0;
        foreach (ref var word in FreeWords)
        {
            popcount += BitOperations.PopCount(Volatile.Read(ref word));
            if (popcount >= seats)
            {
                return true;
            }
        }

        return false;
    }
}
