namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// <see cref="TryClaim"/> on a subset of seats, for reserved capacity (<see cref="ReservedCapacity"/>): the
    /// bottom <paramref name="seatCount"/> seats in ascending order (a claim steered off the reserved top seats), or,
    /// with <paramref name="topDown"/>, every seat from the top down (a pool claim: reserved seats first). The same
    /// claim CAS as <see cref="TryClaim"/> (<see cref="TryTakeBits"/>); only the seats tried differ. awaitsApproval as TryClaim's.
    /// </summary>
    /// <returns>Succeeded, Taken or Closed.</returns>
    public ClaimStatus TryClaimSeats(int first, int length, uint patient, long holdExpiryTicks, long nowTicks, int seatCount, bool topDown, out int seat, out long token, bool awaitsApproval = false)
    {
        // A hold lowers its index's hold mark before its claim CAS clears a free bit (see BranchDayIndex.LowerHoldMark):
        // a search that sees the free bit cleared then reads a mark at or below this hold's expiry.
        if (holdExpiryTicks != 0)
        {
            Volatile.Read(ref _index)?.LowerHoldMark(Provider.GroupMember, holdExpiryTicks);
        }

        var sawClosed = false;
        for (var i = 0; i < seatCount; i++)
        {
            var candidate = topDown ? Capacity - 1 - i : i;
            if (TryTakeBits(candidate, first, length, nowTicks, ref sawClosed))
            {
                token = IssueToken(candidate, first, length);
                WriteClaim(candidate, first, length, holdExpiryTicks == 0 ? ClaimCell.KindBooked : ClaimCell.KindHeld, token, patient, holdExpiryTicks, awaitsApproval && holdExpiryTicks != 0);
                seat = candidate;
                return ClaimStatus.Succeeded;
            }
        }

        seat = -1;
        token = 0;
        return sawClosed ? ClaimStatus.Closed : ClaimStatus.Taken;
    }
}

internal sealed partial class Calendar
{
    /// <summary>
    /// <see cref="FindStarts"/> as a claim without the pool sees the calendar before the reservation's release: on the
    /// top <paramref name="keptSeats"/> seats, starts whose run touches a reserved slot are left out. A lock-free
    /// snapshot, as every query.
    /// </summary>
    public int FindStartsOutsidePool(int length, int fromSlot, Span<int> starts, int keptSeats, ReservedCapacity reserved)
    {
        if (starts.IsEmpty)
        {
            return 0;
        }

        Span<int> seat = stackalloc int[DayTemplate.MaxSlots];
        var open = Capacity - Math.Min(keptSeats, Capacity);
        var found = 0;
        for (var l = 0; l < Capacity; l++)
        {
            var n = FindStartsOnSeat(l, length, fromSlot, l < open ? seat[..Math.Min(starts.Length, seat.Length)] : seat);
            if (l >= open)
            {
                var kept = 0;
                for (var i = 0; i < n && kept < starts.Length; i++)
                {
                    if (!reserved.Touches(new SlotRange(seat[i], length)))
                    {
                        seat[kept++] = seat[i];
                    }
                }

                n = kept;
            }

            found = MergeDistinct(starts, found, seat[..n]);
        }

        return found;
    }
}

internal sealed partial class Calendar
{
    /// <summary>
    /// The free seats from <paramref name="fromSlot"/> on that <paramref name="reserved"/> keeps for its pool (the top
    /// seats of every reserved slot; the caller checks the release instant). A lock-free snapshot, as every query:
    /// each seat is read once, as <see cref="ReadSeat"/> reads it (an expired hold reads free).
    /// </summary>
    public int CountReservedFree(int fromSlot, ReservedCapacity reserved, long nowTicks)
    {
        var every = reserved.EveryNthSlot;
        var lowest = Capacity - Math.Min(reserved.Seats, Capacity);
        var free = 0;
        for (var slot = (Math.Max(0, fromSlot) + every - 1) / every * every; slot < SlotCount; slot += every)
        {
            for (var seat = lowest; seat < Capacity; seat++)
            {
                if (ReadSeat(seat, slot, nowTicks).Status == SlotStatus.Free)
                {
                    free++;
                }
            }
        }

        return free;
    }
}
