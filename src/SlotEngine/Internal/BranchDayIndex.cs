using System.Numerics;

namespace SlotEngine;

/// <summary>
/// For one branch in one city on one day: which member providers may offer a seat at each slot,
/// so that "the earliest free slot of cardiology in İstanbul" reads a few contiguous words instead
/// of visiting thousands of calendars. A hint that the claim (and the calendar) always verifies.
/// </summary>
/// <remarks>
/// <para><b>Words.</b> <see cref="_offers"/> holds, for each slot, one bit per member (by its place in
/// the group): 1 when that member's calendar has a seat at the slot that is free or held (a
/// hold may expire, so it still counts as on offer). <see cref="_slotSummary"/> has one bit per slot:
/// 1 when some member may offer it.</para>
/// <para><b>Refresh.</b> After every change to a calendar's slots, the thread that made it runs
/// <see cref="Refresh"/>: read the calendar's truth for the slot, write it into the member's bit
/// (an atomic And/Or, skipped when the bit already says so), then read the truth again and repeat
/// if it moved. The last writer of a bit always checks after writing, so once a calendar is quiet
/// its bits are exact, whatever the interleaving.</para>
/// <para><b>Summary.</b> A refresh that sets a member's bit then sets the slot's summary bit. A
/// search that finds no member bit for a slot clears the summary bit, scans the member bits again,
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
    private readonly int _wordsPerSlot;
    private readonly ulong[] _offers;
    private readonly ulong[] _slotSummary;
    private int _incomplete;

    public BranchDayIndex(ProviderEntry[] members, DayLayout layout)
    {
        _members = members;
        _calendars = new Calendar?[members.Length];
        Layout = layout;
        _wordsPerSlot = Math.Max(1, (members.Length + 63) >> 6);
        _offers = new ulong[layout.SlotCount * _wordsPerSlot];
        _slotSummary = new ulong[(layout.SlotCount + 63) >> 6];
    }

    public DayLayout Layout { get; }

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

    /// <summary>
    /// Records a calendar as its member's and indexes all its slots. The calendar already points
    /// at this index, so any change it makes from now on refreshes here too. Joining again is harmless.
    /// </summary>
    public void Join(int member, Calendar calendar)
    {
        Volatile.Write(ref _calendars[member], calendar);
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
            ref var word = ref _offers[(slot * _wordsPerSlot) + column];
            bool offered;
            do
            {
                offered = Volatile.Read(ref _calendars[member]) == calendar && calendar.OffersSeatAt(slot);
                var current = (Volatile.Read(ref word) & bit) != 0;
                if (current != offered)
                {
                    if (offered)
                    {
                        Interlocked.Or(ref word, bit);
                    }
                    else
                    {
                        Interlocked.And(ref word, ~bit);
                    }
                }

                if (offered)
                {
                    Interlocked.Or(ref _slotSummary[slot >> 6], 1UL << slot);
                }
            }
            while (offered != (Volatile.Read(ref _calendars[member]) == calendar && calendar.OffersSeatAt(slot)));
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
    /// Adds the members with a free seat at <paramref name="slot"/> that are not in the day's results
    /// yet. Members in provider-id order stop as soon as the places are full; otherwise every member
    /// of the slot is looked at and the places of this slot keep the lowest ids.
    /// </summary>
    private int OffersAtSlot(int slot, long nowTicks, bool idsAscending, Span<FreeStart> places, int dayStart, int count, out bool anyBit)
    {
        anyBit = false;
        var slotStart = count;
        var row = slot * _wordsPerSlot;
        for (var c = 0; c < _wordsPerSlot; c++)
        {
            var bits = Volatile.Read(ref _offers[row + c]);
            anyBit |= bits != 0;
            while (bits != 0)
            {
                if (count == places.Length && (idsAscending || slotStart == count))
                {
                    return count;
                }

                var member = (c << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                var calendar = Volatile.Read(ref _calendars[member]);
                if (calendar is null || !calendar.HasFreeSeatAt(slot, nowTicks) || Contains(places[dayStart..count], calendar.Provider.Id))
                {
                    continue;
                }

                var start = new FreeStart(calendar.Key, SlotRange.Single(slot), Layout.StartOf(slot));
                count = InsertById(places, slotStart, count, start);
            }
        }

        return count;
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

    private static bool Contains(ReadOnlySpan<FreeStart> places, ProviderId provider)
    {
        foreach (var place in places)
        {
            if (place.Calendar.Provider == provider)
            {
                return true;
            }
        }

        return false;
    }

    private void ClearSummaryIfNoOffer(int slot)
    {
        // Clear first, then look again: a refresh that set a member bit after our look also sets
        // the summary bit after our clear, and one that set it before is seen by the second look.
        Interlocked.And(ref _slotSummary[slot >> 6], ~(1UL << slot));
        var row = slot * _wordsPerSlot;
        for (var c = 0; c < _wordsPerSlot; c++)
        {
            if (Volatile.Read(ref _offers[row + c]) != 0)
            {
                Interlocked.Or(ref _slotSummary[slot >> 6], 1UL << slot);
                return;
            }
        }
    }
}
