using System.Numerics;

namespace SlotEngine;

/// <summary>
/// For one branch in one city on one day: which member providers may offer a seat at each slot,
/// so that "the earliest free slot of cardiology in İstanbul" reads a few contiguous words instead
/// of visiting thousands of calendars. A hint that the claim (and the calendar) always verifies.
/// </summary>
/// <remarks>
/// <para><b>Words.</b> Each slot has a row of three bitmaps of one bit per member (by its place in the
/// group), <see cref="_wordsPerSlot"/> words each, side by side in <see cref="_rows"/> (one or two cache
/// lines for a slot): the <i>offer</i> words, 1 when that member's calendar has a seat at the slot that is
/// free or held (a hold may expire, so it still counts as on offer), the <i>free</i> words, 1 when
/// the calendar has a free seat at the slot (its free bit is 1), then the <i>held</i> words, 1 when no seat
/// is free but some seat is held by a plain hold (<see cref="Calendar.SeatState.Held"/>). A member offered,
/// neither free nor held, is an <i>awaiting</i> member: its seats there that are not booked are unapproved
/// bookings (<see cref="Calendar.SeatState.Awaiting"/>), which free only at the day's approval deadline.
/// Free and held each imply offered once the writers are done. <see cref="_slotSummary"/> has one bit per slot: 1 when some member may offer it. A search
/// takes a member with a free bit from the index words alone (its provider id is in
/// <see cref="_memberIds"/>), and visits the calendar only of a member that is offered but not free:
/// a hold, which may have expired, and only once now has reached the earliest-hold-expiry mark
/// (<see cref="LowerHoldMark"/>); before it, no hold can have expired and held members are passed over.
/// Awaiting members are passed over until the day's approval deadline too (<see cref="OffersAtSlot"/>): without the
/// held row, one short hold falling due sent every search of the branch-day into the calendar of every member with
/// an unapproved booking at the slot.</para>
/// <para><b>Refresh.</b> After every change to a calendar's slots, the thread that made it runs
/// <see cref="Refresh"/>: read the calendar's truth for the slot (free, held, awaiting or none), write it into
/// the member's three bits (an atomic And/Or each, skipped when the bit already says so; the bits to set first,
/// then those to clear, so a search midway sees the union of the old and the new state: more to visit, never less), then read the
/// truth again and repeat if it moved. Each bit is written as the one bit of the earlier index was:
/// the last writer of a bit always checks the truth after writing it (the loop ends only when the
/// truth read after all three writes is the one written), so once a calendar is quiet its bits are
/// exact, whatever the interleaving.</para>
/// <para><b>Summary.</b> A refresh that sets a member's offer bit (or finds it set) then sets the slot's summary
/// bit (an atomic Or only when it reads 0, see <see cref="SetSummary"/>). A
/// search that finds no offer bit for a slot clears the summary bit, scans the offer bits again,
/// and sets it back if one appeared meanwhile: a summary bit of 0 never hides an offered slot once
/// the writers are done.</para>
/// <para>The index of a day is made at the first search of that day, from the group's members then
/// (a member's bit is its place in the group, fixed at registration). A provider registered later,
/// or a calendar cut by another template, cannot join: the index is then marked incomplete and
/// searches of that day scan calendars instead.</para>
/// </remarks>
internal sealed class BranchDayIndex
{
    private readonly ProviderEntry[] _members;
    private readonly Calendar?[] _calendars;
    private readonly int[] _memberIds;
    private readonly int _wordsPerSlot;

    /// <summary>Bitmaps in a slot's row: offer, free, held (see the remarks).</summary>
    private const int RowsPerSlot = 3;

    /// <summary>Per slot, the offer words, the free words, then the held words (see the remarks): slot s's row starts at s × <see cref="RowsPerSlot"/> × <see cref="_wordsPerSlot"/>.</summary>
    private readonly ulong[] _rows;

    /// <summary>The day's approval deadline, UTC ticks (<see cref="DayLayout.ApprovalDeadlineTicks"/>; 0: no approval rule, and no member is ever awaiting).</summary>
    private readonly long _approvalDeadline;
    private readonly ulong[] _slotSummary;
    private int _incomplete;

    /// <summary>
    /// The earliest-hold-expiry mark, UTC ticks (<see cref="long.MaxValue"/>: no hold yet): at or below the expiry of
    /// every hold on a member calendar that the index may show as offered but not free (see <see cref="LowerHoldMark"/>).
    /// While now is before it no such hold can have expired, so a search passes held members without visiting their
    /// calendars. Only lowered, never raised: it may stay low (then searches visit held members, as without it).
    /// </summary>
    private long _holdMark = long.MaxValue;

    /// <summary>
    /// Per member, a copy of its calendar's own earliest-hold-expiry bound (<see cref="Calendar.EarliestHoldExpiryTicks"/>),
    /// UTC ticks (<see cref="long.MaxValue"/>: no hold known): lowered with <see cref="_holdMark"/> (<see cref="LowerHoldMark"/>)
    /// and reset with the calendar's own bound when its reclaim scan recounts it (<see cref="ResetMemberBound"/>). Once the
    /// mark is due, a search passes a held member whose own bound is still ahead without visiting its calendar.
    /// </summary>
    private readonly long[] _memberBounds;

    public BranchDayIndex(ProviderEntry[] members, DayLayout layout, BranchGroup group)
    {
        Group = group;
        Owner = group.Owner;
        _members = members;
        _calendars = new Calendar?[members.Length];
        _memberIds = new int[members.Length];
        _memberBounds = new long[members.Length];
        Array.Fill(_memberBounds, long.MaxValue);
        var ascending = true;
        for (var i = 0; i < members.Length; i++)
        {
            _memberIds[i] = members[i].Id.Value;
            ascending &= i == 0 || _memberIds[i - 1] < _memberIds[i];
        }

        IdsAscending = ascending;

        Layout = layout;
        DayNumber = layout.Day.DayNumber;
        _wordsPerSlot = Math.Max(1, (members.Length + 63) >> 6);
        _rows = new ulong[layout.SlotCount * RowsPerSlot * _wordsPerSlot];
        _approvalDeadline = layout.ApprovalDeadlineTicks;
        _slotSummary = new ulong[(layout.SlotCount + 63) >> 6];
    }

    public DayLayout Layout { get; }

    /// <summary>The group whose index this is (its <see cref="BranchGroup.Owner"/> is the directory a query's remembered index is checked against).</summary>
    public BranchGroup Group { get; }

    /// <summary>The directory of <see cref="Group"/>, kept here too: a query's remembered index is checked against it with no read of the group (a cold line in the day's searches).</summary>
    public SlotDirectory Owner { get; }

    /// <summary>Whether the members, by their place, are in provider-id order (the order searches answer in), so a search can stop at the first free members; fixed with the members.</summary>
    public bool IdsAscending { get; }

    /// <summary>The day's <see cref="DateOnly.DayNumber"/> (read by every search's day lookup, kept here so that it needs no layout read).</summary>
    public int DayNumber { get; }

    /// <summary>The group's members when the index was made, by their place in the group.</summary>
    public ReadOnlySpan<ProviderEntry> Members => _members;

    /// <summary>Whether some calendar of the group and day could not join (searches must scan).</summary>
    public bool IsIncomplete => Volatile.Read(ref _incomplete) != 0;

    /// <summary>Whether a calendar can join: its provider was a member when the index was made, and its day is cut the same way.</summary>
    public bool CanJoin(Calendar calendar)
    {
        var member = calendar.Provider.GroupMember;
        if (member < _members.Length && ReferenceEquals(_members[member], calendar.Provider) && ReferenceEquals(calendar.Layout, Layout))
        {
            return true;
        }

        Interlocked.Exchange(ref _incomplete, 1);
        return false;
    }

    /// <summary>The earliest-hold-expiry mark (<see cref="_holdMark"/>), UTC ticks; <see cref="long.MaxValue"/> when no hold has lowered it.</summary>
    public long HoldMark => Volatile.Read(ref _holdMark);

    /// <summary>
    /// Lowers the earliest-hold-expiry mark, and <paramref name="member"/>'s own bound (<see cref="_memberBounds"/>), to
    /// <paramref name="expiryTicks"/> if that is earlier. Every hold calls it
    /// with its expiry before its claim CAS clears a free bit of its calendar (<see cref="Calendar.TryClaimSeats"/>),
    /// again where its calendar lowers its own bound, and a calendar joining calls it with its bound (<see cref="Join"/>).
    /// </summary>
    /// <remarks>
    /// <b>Invariant</b>: the mark is at or below the expiry of every hold whose member bits the index may show as offered
    /// but not free. Why a search may trust it: (1) the CAS below is a full fence made before the hold's claim CAS, so a
    /// refresh that reads the calendar's cleared bit (an acquire of the word the claim CAS wrote) and clears the index's
    /// free bit (an atomic And) carries the mark with it, and a search that reads that cleared free bit with acquire
    /// semantics (<see cref="OffersAtSlot"/> reads the mark after the row's words) reads this mark or a lower one; (2) the
    /// mark is only lowered, so nothing a later writer does can lift it above a hold it covered; (3) a hold whose early
    /// call found no index (the calendar joined meanwhile) is covered by its calendar's own bound, which it lowers after
    /// its head and before its index refresh, and which <see cref="Join"/> reads after the calendar points at the index
    /// (a bound being recounted by the calendar's reclaim is lowered again for each live hold through the same call, which
    /// lowers this mark too once the index is there); (4) an expiry moved later (a hold made an unapproved booking, whose deadline is later) stays above the mark. So a
    /// free bit of 0 never hides a free seat (an expired hold) from a search whose now is at or past the mark, and a
    /// search whose now is before it can have no expired hold to find among the held members.
    /// <para><b>A member's bound</b> is lowered by the same calls, so it too is at or below the expiry of every hold of that
    /// member's calendar, by (1), (3) and (4), except that it is also raised: a reclaim scan of the calendar resets it
    /// (<see cref="ResetMemberBound"/>, after resetting the calendar's own bound) and lowers it again for every live hold
    /// it reads, while a hold published during the scan lowers it after its head as it lowers the calendar's bound. So it
    /// can be too high only where the calendar's own bound can (<see cref="Calendar.HasFreeSeatAt"/> trusts that bound the
    /// same way): while a reclaim of that calendar, a writer in progress that reclaims what has expired, is scanning.</para>
    /// </remarks>
    public void LowerHoldMark(int member, long expiryTicks)
    {
        Lower(ref _holdMark, expiryTicks);
        Lower(ref _memberBounds[member], expiryTicks); // a calendar that points at this index joined it: its member is in range (CanJoin)

        static void Lower(ref long mark, long expiryTicks)
        {
            var current = Volatile.Read(ref mark);
            while (expiryTicks < current)
            {
                // Hold-mark CAS, current → expiry: only lowers (a failure re-reads and retries against the newer, maybe lower, value).
                var seen = Interlocked.CompareExchange(ref mark, expiryTicks, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }

    /// <summary>
    /// Resets <paramref name="member"/>'s own bound to "no hold" (a full fence): <paramref name="calendar"/>'s reclaim scan
    /// calls it right after resetting the calendar's own bound, and then lowers both again for every live hold it reads (see
    /// the remarks of <see cref="LowerHoldMark"/>). The index-wide mark is never raised.
    /// </summary>
    /// <remarks>
    /// The scan read the index from its calendar before this call; if the calendar was withdrawn meanwhile and another one
    /// joined at the member's place, the reset must not hide the newcomer's holds: after the reset, a newcomer already in
    /// <see cref="_calendars"/> lowers the bound again with its own bound here, and one not yet there lowers it in
    /// <see cref="Join"/> (whose write of the calendar is a full fence before its read of the bound, so one of the two sees
    /// the other).
    /// </remarks>
    public void ResetMemberBound(int member, Calendar calendar)
    {
        Interlocked.Exchange(ref _memberBounds[member], long.MaxValue);
        if (Volatile.Read(ref _calendars[member]) is { } current && !ReferenceEquals(current, calendar))
        {
            LowerHoldMark(member, current.EarliestHoldExpiryTicks);
        }
    }

    /// <summary>The member's own bound (<see cref="_memberBounds"/>), UTC ticks; for tests.</summary>
    internal long MemberBound(int member) => Volatile.Read(ref _memberBounds[member]);

    /// <summary>
    /// Records a calendar as its member's and indexes all its slots. The calendar already points
    /// at this index, so any change it makes from now on refreshes here too. Joining again is harmless.
    /// </summary>
    public void Join(int member, Calendar calendar)
    {
        // A full fence before the bound is read below (ResetMemberBound's remarks).
        Interlocked.Exchange(ref _calendars[member], calendar);

        // Holds the calendar had before it pointed at this index (their own calls found no index): its bound covers them.
        LowerHoldMark(member, calendar.EarliestHoldExpiryTicks);
        Refresh(member, calendar, 0, Layout.SlotCount);
    }

    /// <summary>Leaves the index (the calendar was withdrawn or replaced).</summary>
    public void Detach(int member, Calendar calendar)
    {
        Interlocked.CompareExchange(ref _calendars[member], null, calendar);
        Refresh(member, calendar, 0, Layout.SlotCount);
    }

    /// <summary>Brings the member's bits for slots [first, end) in line with its calendar (see the remarks).</summary>
    public void Refresh(int member, Calendar calendar, int first, int end)
    {
        var bit = 1UL << member;
        var column = member >> 6;
        for (var slot = first; slot < end; slot++)
        {
            var row = slot * RowsPerSlot * _wordsPerSlot;
            ref var offerWord = ref _rows[row + column];
            ref var freeWord = ref _rows[row + _wordsPerSlot + column];
            ref var heldWord = ref _rows[row + (2 * _wordsPerSlot) + column];
            Calendar.SeatState state;
            do
            {
                state = Volatile.Read(ref _calendars[member]) == calendar ? calendar.SeatStateAt(slot) : Calendar.SeatState.None;
                var offered = state != Calendar.SeatState.None;
                var free = state == Calendar.SeatState.Free;
                var held = state == Calendar.SeatState.Held;

                // Sets first, then clears: between them the member shows the union of its old and new states, so a search
                // midway visits more, never less (a member going held → free is never seen awaiting, nor one going free →
                // held). The summary bit follows the offer bit (SetSummary's remarks).
                if (offered)
                {
                    SetBit(ref offerWord, bit);
                }

                if (free)
                {
                    SetBit(ref freeWord, bit);
                }

                if (held)
                {
                    SetBit(ref heldWord, bit);
                }

                if (offered)
                {
                    SetSummary(slot);
                }

                if (!held)
                {
                    ClearBit(ref heldWord, bit);
                }

                if (!free)
                {
                    ClearBit(ref freeWord, bit);
                }

                if (!offered)
                {
                    ClearBit(ref offerWord, bit);
                }
            }
            while (state != (Volatile.Read(ref _calendars[member]) == calendar ? calendar.SeatStateAt(slot) : Calendar.SeatState.None));
        }
    }

    /// <summary>
    /// Sets the slot's summary bit after an offer bit was set or seen set; a summary bit already 1 is only read, so that
    /// claims on one group from several cores do not pass its summary line between them on every refresh. Safe with
    /// <see cref="ClearSummaryIfNoOffer"/>: the offer bit is in memory before this read (our atomic Or, or the read
    /// that saw it set); a search that clears the summary after this read scans the offer bits after its clear and sees
    /// ours, and one that cleared before it left a 0 here, which this call then sets.
    /// </summary>
    private void SetSummary(int slot)
    {
        ref var summary = ref _slotSummary[slot >> 6];
        var bit = 1UL << slot;
        if ((Volatile.Read(ref summary) & bit) == 0)
        {
            Interlocked.Or(ref summary, bit);
        }
    }

    /// <summary>Sets one member's bit (an atomic Or that touches no other member's bit), skipped when it is already 1.</summary>
    private static void SetBit(ref ulong word, ulong bit)
    {
        if ((Volatile.Read(ref word) & bit) == 0)
        {
            Interlocked.Or(ref word, bit);
        }
    }

    /// <summary>Clears one member's bit (an atomic And that touches no other member's bit), skipped when it is already 0.</summary>
    private static void ClearBit(ref ulong word, ulong bit)
    {
        if ((Volatile.Read(ref word) & bit) != 0)
        {
            Interlocked.And(ref word, ~bit);
        }
    }

    /// <summary>
    /// Writes into <paramref name="places"/> (after <paramref name="count"/> already there) the
    /// earliest single free slots from <paramref name="fromSlot"/> on, one per calendar, in order of
    /// slot, then provider id; returns the new count. With <c>skipEvery</c> above 0, slots whose index is a multiple
    /// of it are passed over (reserved for a pool on every seat, <see cref="ReservedCapacity"/>, for a searcher without it).
    /// </summary>
    public int FindEarliestSingles(int fromSlot, long nowTicks, bool idsAscending, Span<FreeStart> places, int count, int skipEvery = 0)
    {
        var start = count;
        for (var w = fromSlot >> 6; w < _slotSummary.Length && count < places.Length; w++)
        {
            var summary = Volatile.Read(ref _slotSummary[w]);
            if (w == fromSlot >> 6)
            {
                summary &= ulong.MaxValue << (fromSlot & 63);
            }

            while (summary != 0 && count < places.Length)
            {
                var slot = (w << 6) + BitOperations.TrailingZeroCount(summary);
                summary &= summary - 1;
                if (slot >= Layout.SlotCount)
                {
                    break;
                }

                if (skipEvery > 0 && slot % skipEvery == 0)
                {
                    continue;
                }

                count = OffersAtSlot(slot, nowTicks, idsAscending, places, start, count, out var anyBit);
                if (!anyBit)
                {
                    ClearSummaryIfNoOffer(slot);
                }
            }
        }

        return count;
    }

    /// <summary>
    /// Whether some member may offer a seat (free, or held and so maybe expired) at a slot from <paramref name="fromSlot"/>
    /// on: false lets a search skip the day without visiting its calendars. Summary bits whose slot has no offer bit
    /// left are cleared on the way (<see cref="ClearSummaryIfNoOffer"/>), as <see cref="FindEarliestSingles"/> does; a
    /// summary bit of 0 never hides an offered slot once the writers are done, so false is as exact as a scan.
    /// </summary>
    public bool MayOfferFrom(int fromSlot)
    {
        for (var w = fromSlot >> 6; w < _slotSummary.Length; w++)
        {
            var summary = Volatile.Read(ref _slotSummary[w]);
            if (w == fromSlot >> 6)
            {
                summary &= ulong.MaxValue << (fromSlot & 63);
            }

            while (summary != 0)
            {
                var slot = (w << 6) + BitOperations.TrailingZeroCount(summary);
                summary &= summary - 1;
                if (slot >= Layout.SlotCount)
                {
                    break;
                }

                if (ClearSummaryIfNoOffer(slot))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Adds the members with a free seat at <paramref name="slot"/> that are not in the day's results
    /// yet. Members in provider-id order stop as soon as the places are full; otherwise every member
    /// of the slot is looked at and the places of this slot keep the lowest ids. A member whose free bit
    /// is 1 is taken from the index alone; one that is offered but not free is passed over while now is
    /// before the earliest-hold-expiry mark (<see cref="LowerHoldMark"/>), and an awaiting one (not held either: only
    /// unapproved bookings) while now is before the day's approval deadline; else it is looked at in its calendar, where an
    /// expired hold counts as free.
    /// </summary>
    private int OffersAtSlot(int slot, long nowTicks, bool idsAscending, Span<FreeStart> places, int dayStart, int count, out bool anyBit)
    {
        anyBit = false;
        var slotStart = count;
        var row = slot * RowsPerSlot * _wordsPerSlot;
        var day = Layout.Day;
        for (var c = 0; c < _wordsPerSlot; c++)
        {
            var offers = Volatile.Read(ref _rows[row + c]);
            anyBit |= offers != 0;
            var free = Volatile.Read(ref _rows[row + _wordsPerSlot + c]);
            var bits = offers | free;
            if ((offers & ~free) != 0)
            {
                if (nowTicks < Volatile.Read(ref _holdMark))
                {
                    // Held members, but no hold the index may hide has expired yet (the mark, read after the free word:
                    // see LowerHoldMark): they cannot be free now, so they are passed without visiting their calendars.
                    bits = free;
                }
                else if (nowTicks < _approvalDeadline)
                {
                    // Some hold may have expired, but before the deadline no unapproved booking has: the awaiting members
                    // (offered, neither free nor held) are passed over. Exact once the writers are done (the held bit is
                    // then the truth); midway a refresh shows the union of two states (Refresh), so the one stale case is a
                    // plain hold made by a writer that has not refreshed yet on a seat another writer's pending refresh
                    // freed: hidden until its own refresh, which its thread makes right after its claim, so it could be
                    // missed only if it had expired meanwhile: a writer still in progress, as for every stale bit here.
                    bits = free | (offers & Volatile.Read(ref _rows[row + (2 * _wordsPerSlot) + c]));
                }
            }

            while (bits != 0)
            {
                if (count == places.Length && (idsAscending || slotStart == count))
                {
                    return count;
                }

                var lowest = bits & unchecked(0 - bits);
                bits &= bits - 1;
                var member = (c << 6) + BitOperations.TrailingZeroCount(lowest);
                var id = _memberIds[member];
                if ((free & lowest) == 0)
                {
                    // Offered, not free: a hold (or a transition in progress), free only if it has expired, which it cannot
                    // have while now is before the member's own bound (read after the row's words, as the mark is).
                    if (nowTicks < Volatile.Read(ref _memberBounds[member]))
                    {
                        continue;
                    }

                    var calendar = Volatile.Read(ref _calendars[member]);
                    if (calendar is null || !calendar.HasFreeSeatAt(slot, nowTicks))
                    {
                        continue;
                    }
                }

                if (Contains(places[dayStart..count], id))
                {
                    continue;
                }

                var start = new FreeStart(new CalendarKey(new ProviderId(id), day), SlotRange.Single(slot), Layout.StartOf(slot));
                count = InsertById(places, slotStart, count, start);
            }
        }

        return count;
    }

    /// <summary>
    /// The first member bit that differs from its calendar's truth, or null: for tests, on a group whose calendars no
    /// operation is changing (the refresh protocol makes the bitmaps exact then; see the remarks). Also checks that
    /// a free bit implies an offer bit, that every offered slot has its summary bit, and that each member's own bound is
    /// at or below every hold expiry of its calendar.
    /// </summary>
    internal string? FindBitViolation()
    {
        for (var slot = 0; slot < Layout.SlotCount; slot++)
        {
            var row = slot * RowsPerSlot * _wordsPerSlot;
            for (var member = 0; member < _members.Length; member++)
            {
                var bit = 1UL << member;
                var offered = (Volatile.Read(ref _rows[row + (member >> 6)]) & bit) != 0;
                var free = (Volatile.Read(ref _rows[row + _wordsPerSlot + (member >> 6)]) & bit) != 0;
                var held = (Volatile.Read(ref _rows[row + (2 * _wordsPerSlot) + (member >> 6)]) & bit) != 0;
                var calendar = Volatile.Read(ref _calendars[member]);
                var truth = calendar is null ? Calendar.SeatState.None : calendar.SeatStateAt(slot);
                if (offered != (truth != Calendar.SeatState.None) || free != (truth == Calendar.SeatState.Free) || held != (truth == Calendar.SeatState.Held))
                {
                    return $"day {Layout.Day:yyyy-MM-dd} slot {slot} member {member} ({_members[member].Id}): offer bit {offered}, free bit {free}, held bit {held}, calendar {truth}";
                }

                if (offered && (Volatile.Read(ref _slotSummary[slot >> 6]) & (1UL << slot)) == 0)
                {
                    return $"day {Layout.Day:yyyy-MM-dd} slot {slot}: member {member} offers it, but its summary bit is 0";
                }
            }
        }

        // Each member's own bound is at or below the expiry of every hold of its calendar (LowerHoldMark's remarks).
        for (var member = 0; member < _members.Length; member++)
        {
            if (Volatile.Read(ref _calendars[member]) is { } calendar && calendar.EarliestLiveHoldExpiry() is var earliest && MemberBound(member) > earliest)
            {
                return $"day {Layout.Day:yyyy-MM-dd} member {member} ({_members[member].Id}): its bound {MemberBound(member)} is above its calendar's earliest hold expiry {earliest}";
            }
        }

        return null;
    }

    /// <summary>Inserts into places[slotStart..count) kept sorted by provider id, dropping the highest when full.</summary>
    private static int InsertById(Span<FreeStart> places, int slotStart, int count, in FreeStart start)
    {
        var id = start.Calendar.Provider.Value;
        if (count == places.Length)
        {
            if (places[count - 1].Calendar.Provider.Value < id)
            {
                return count;
            }

            count--;
        }

        var at = count;
        while (at > slotStart && places[at - 1].Calendar.Provider.Value > id)
        {
            places[at] = places[at - 1];
            at--;
        }

        places[at] = start;
        return count + 1;
    }

    private static bool Contains(ReadOnlySpan<FreeStart> places, int provider)
    {
        foreach (var place in places)
        {
            if (place.Calendar.Provider.Value == provider)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Clears the slot's summary bit when no member offers the slot; true when one does (the bit is left or set back).</summary>
    private bool ClearSummaryIfNoOffer(int slot)
    {
        var row = slot * RowsPerSlot * _wordsPerSlot;
        for (var c = 0; c < _wordsPerSlot; c++)
        {
            if (Volatile.Read(ref _rows[row + c]) != 0)
            {
                return true; // offered: the summary bit stays (it is 1, or a refresh is setting it)
            }
        }

        // Clear first, then look again: a refresh that set a member bit after our look also sets
        // the summary bit after our clear, and one that set it before is seen by the second look.
        Interlocked.And(ref _slotSummary[slot >> 6], ~(1UL << slot));
        for (var c = 0; c < _wordsPerSlot; c++)
        {
            if (Volatile.Read(ref _rows[row + c]) != 0)
            {
                Interlocked.Or(ref _slotSummary[slot >> 6], 1UL << slot);
                return true;
            }
        }

        return false;
    }
}
