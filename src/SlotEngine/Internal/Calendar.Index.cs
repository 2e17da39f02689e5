namespace SlotEngine;

/// <summary>The calendar's side of its group's <see cref="BranchDayIndex"/>.</summary>
internal sealed partial class Calendar
{
    private BranchDayIndex? _index;

    /// <summary>
    /// Joins the group's day index. The calendar points at the index first (with a full fence), and
    /// only then is indexed as a whole: a change made after that whole read refreshes the index itself.
    /// </summary>
    public void AttachIndex(BranchDayIndex index)
    {
        if (!index.CanJoin(this))
        {
            return;
        }

        // Full-fence swap before Join: a change after Join's whole read finds _index set and refreshes it.
        Interlocked.Exchange(ref _index, index);
        index.Join(Provider.GroupMember, this);
    }

    /// <summary>Whether the calendar is in its group's day index now (its changes refresh the index).</summary>
    public bool IsIndexed => Volatile.Read(ref _index) is not null;

    /// <summary>Leaves the index (withdrawn or replaced).</summary>
    public void DetachIndex()
    {
        // Takes the index away atomically: exactly one detacher gets it and detaches; later refreshes see null.
        var index = Interlocked.Exchange(ref _index, null);
        index?.Detach(Provider.GroupMember, this);
    }

    /// <summary>What the index records of one slot (<see cref="SeatStateAt"/>).</summary>
    public enum SeatState
    {
        /// <summary>No seat is free or held (booked, closed, or no calendar).</summary>
        None,

        /// <summary>
        /// No seat is free or held by a plain hold, but some seat's claim starting at the slot is a booking awaiting approval:
        /// on offer, not free, and it can free only at the day's approval deadline (<see cref="DayLayout.ApprovalDeadlineTicks"/>,
        /// the expiry of every unapproved booking of the day; see <see cref="HeadExpiryAt"/>).
        /// </summary>
        Awaiting,

        /// <summary>No seat is free, but some seat is held (a hold may expire at any time from its expiry on): on offer, not free.</summary>
        Held,

        /// <summary>Some seat's free bit is 1.</summary>
        Free,
    }

    /// <summary>
    /// Whether some seat of the slot is free, else whether some seat is held by a plain hold, else whether some seat is an
    /// unapproved booking: what the index records (a read of the truth now; a transition may be in progress). Only a head
    /// cell carries the approval bit, so a slot inside a longer unapproved booking (a body cell) counts as held, and so does
    /// every unapproved booking of a day whose layout has no approval deadline (a store's read model of an engine without
    /// the rule keeps the store's deadline in the hold's place, which the index does not read).
    /// </summary>
    public SeatState SeatStateAt(int slot)
    {
        var state = SeatState.None;
        var awaitingKnown = Layout.ApprovalDeadlineTicks != 0;
        for (var seat = 0; seat < Capacity; seat++)
        {
            if (IsFreeBit(seat, slot))
            {
                return SeatState.Free;
            }

            // The state word alone (kind, head, approval bit): the patient beside it is not needed here.
            var cell = ClaimCell.FromState(Volatile.Read(ref StateAt(CellIndex(seat, slot))), 0);
            if (ClaimCell.Kind(cell) == ClaimCell.KindHeld)
            {
                state = awaitingKnown && ClaimCell.AwaitsApproval(cell) && state != SeatState.Held ? SeatState.Awaiting : SeatState.Held;
            }
        }

        return state;
    }

    /// <summary>Whether some seat of the slot is free now, expired holds included (they are reclaimed first).</summary>
    public bool HasFreeSeatAt(int slot, long nowTicks)
    {
        for (var seat = 0; seat < Capacity; seat++)
        {
            if (IsFreeBit(seat, slot))
            {
                return true;
            }
        }

        if (nowTicks < EarliestHoldExpiryTicks)
        {
            return false;
        }

        ReclaimExpiredHolds(nowTicks, null);
        for (var seat = 0; seat < Capacity; seat++)
        {
            if (IsFreeBit(seat, slot))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Tells the index that slots [first, end) changed; every transition calls it after its last write.</summary>
    private void RefreshIndex(int first, int end) => Volatile.Read(ref _index)?.Refresh(Provider.GroupMember, this, first, end);
}
