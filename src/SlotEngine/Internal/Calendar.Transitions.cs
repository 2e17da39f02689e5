using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace SlotEngine;

/// <summary>An owned claim as it was when its head cell was taken: for displaced and reclaimed reports.</summary>
internal readonly record struct RemovedClaim(int Seat, int First, int Length, long Token, uint Patient, bool WasBooked, long HoldExpiryTicks, bool AwaitedApproval = false);

/// <summary>Told of every unapproved booking released at its deadline (by a lazy reclaim or a sweep), on the thread that released it.</summary>
internal interface IApprovalLapses
{
    void Lapsed(Calendar calendar, in RemovedClaim claim);
}

internal sealed partial class Calendar
{
    /// <summary>
    /// Whether <paramref name="cell"/> is the head of the claim with this token. The whole token is
    /// compared: a cell holds 29 bits, so a token outside [1, <see cref="ClaimCell.MaxToken"/>]
    /// (negative, or a real token with high bits added) names no claim. Masking the caller's token
    /// here once let <c>real + 2^29</c> act as <c>real</c>.
    /// </summary>
    private static bool IsHeadOf(ulong cell, long token) =>
        ClaimCell.IsClaim(cell) && ClaimCell.IsHead(cell) && ClaimCell.Token(cell) == token;

    /// <summary>
    /// Whether <paramref name="cell"/> is the head of the claim with this token, made for this patient
    /// (its directory index). Tokens count up per calendar, so the same token names a claim on every
    /// calendar that issued that many: a reservation moved to another calendar, day or seat can meet a
    /// claim with its token there. The patient is what it cannot bring along: the cell keeps the whole
    /// directory index (32 bits, and the directory maps an index to exactly one patient key), so this
    /// is an exact comparison of patients, not of a fragment of their keys.
    /// </summary>
    private static bool IsHeadOf(ulong cell, long token, uint patient) =>
        IsHeadOf(cell, token) && ClaimCell.Patient(cell) == patient;

    /// <summary>
    /// Turns a live hold into a booking (an unapproved booking included: this is also the approval). Succeeds
    /// again if already booked with this token. A head of this token made for another <paramref name="patient"/>
    /// (directory index) is not this claim: Stale.
    /// </summary>
    public ClaimStatus Confirm(int seat, int first, long token, uint patient, long nowTicks) =>
        Confirm(seat, first, token, patient, nowTicks, ApproveNow, out _);

    /// <summary>
    /// Tests (Debug builds only): run on this thread by a confirm between its read of the head and its read of the hold's
    /// expiry, where a thread that is preempted lets other claims change the cell (<see cref="ConfirmReadHead"/>).
    /// </summary>
    [ThreadStatic]
    internal static Action? AfterConfirmReadsHead;

    [Conditional("DEBUG")]
    private static void ConfirmReadHead() => AfterConfirmReadsHead?.Invoke();

    /// <summary><see cref="Confirm(int, int, long, uint, long, long, out long)"/>'s approval deadline for an approval: book whatever is held.</summary>
    public const long ApproveNow = -1;

    /// <summary>
    /// A confirm under the approval rule (<see cref="SlotEngineOptions.Approval"/>). With
    /// <paramref name="approvalDeadlineTicks"/> = <see cref="ApproveNow"/> it books the hold (approved or not). Otherwise
    /// it is a patient's plain confirm: an unapproved booking stays unapproved (Succeeded, <paramref name="awaitsUntilTicks"/>
    /// = its deadline); a plain hold is booked when <paramref name="approvalDeadlineTicks"/> is 0, and becomes an unapproved
    /// booking expiring at <paramref name="approvalDeadlineTicks"/> otherwise.
    /// </summary>
    /// <returns>Succeeded, HoldExpired or Stale; <paramref name="awaitsUntilTicks"/> is 0 when the claim is booked.</returns>
    public ClaimStatus Confirm(int seat, int first, long token, uint patient, long nowTicks, long approvalDeadlineTicks, out long awaitsUntilTicks)
    {
        var head = CellIndex(seat, first);
        awaitsUntilTicks = 0;
        ulong cell;
        while (true)
        {
            cell = ReadCellAt(head);
            if (!IsHeadOf(cell, token, patient))
            {
                return ClaimStatus.Stale;
            }

            if (ClaimCell.Kind(cell) == ClaimCell.KindBooked)
            {
                return ClaimStatus.Succeeded;
            }

            ConfirmReadHead();

            // Judged on this head: the place may already hold a later claim's expiry (this one was removed meanwhile and the
            // cell held again), but then every CAS below fails on the head and the loop reads the cell again.
            var expiry = HeadExpiryAt(seat, first, cell);
            if (expiry <= nowTicks)
            {
                return ClaimStatus.HoldExpired;
            }

            if (approvalDeadlineTicks != ApproveNow && ClaimCell.AwaitsApproval(cell))
            {
                // A plain confirm does not approve: the booking keeps waiting for ApproveAsync.
                awaitsUntilTicks = expiry;
                return ClaimStatus.Succeeded;
            }

            if (approvalDeadlineTicks > 0)
            {
                Debug.Assert(approvalDeadlineTicks == Layout.ApprovalDeadlineTicks, "an unapproved booking's expiry is its day's deadline (HeadExpiryAt reads it from the layout)");
                if (TryAwaitApproval(seat, first, cell, approvalDeadlineTicks))
                {
                    awaitsUntilTicks = approvalDeadlineTicks;
                    return ClaimStatus.Succeeded;
                }

                continue;
            }

            // Head CAS, held → booked (the approval bit cleared): wins against a reclaim, block or release of the
            // same claim (they CAS the same head from held), or loses and re-reads what they left.
            if (TryCasCell(head, cell, ClaimCell.Approved(ClaimCell.WithKind(cell, ClaimCell.KindBooked))))
            {
                break;
            }
        }

        var body = ClaimCell.BodyOf(ClaimCell.WithKind(cell, ClaimCell.KindBooked));
        var end = first + 1;
        for (; end < SlotCount; end++)
        {
            var target = CellIndex(seat, end);
            var current = ReadCellAt(target);
            var held = ClaimCell.WithKind(body, ClaimCell.KindHeld);

            // Held → booked, only while the cell is still this claim's: a release that took the head
            // after us may already have cleared it, and then the CAS fails and we stop.
            if (current != held || !TryCasCell(target, held, body))
            {
                break;
            }
        }

        // The head CAS above made this thread the one that turned the hold into a booking: −1 exactly once.
        Interlocked.Decrement(ref _liveHolds);
        BumpVersion();
        RefreshIndex(first, end);
        return ClaimStatus.Succeeded;
    }

    /// <summary>
    /// Makes the live plain hold headed by <paramref name="cell"/> an unapproved booking, which from then on expires at its
    /// day's approval deadline (<see cref="HeadExpiryAt"/>); false when the head changed meanwhile (the caller reads it again).
    /// </summary>
    /// <remarks>
    /// <para>One step: the head CAS adds the approval bit, and the bit is what moves the expiry to the deadline, for every
    /// reader at once. Reclaimers, releases and blocks read the head, then the expiry, then CAS the head from the value they
    /// read: one that read the plain head and judged its own expiry passed (by a later clock reading) CASes the head from
    /// the plain cell; if it lands first, this CAS fails and the confirm reads the claim gone (Stale / HoldExpired, as a
    /// confirm that lost to the reclaim); if this one lands first, theirs fails and they read the head again, with the bit,
    /// and so the deadline. The hold is never reclaimed by its old expiry once it is unapproved.</para>
    /// <para>The expiry place is not written here, and must not be: it is keyed by the cell, so the next hold on the cell
    /// reuses it, and a confirm preempted between its read of the head and its read of the place may find the next hold's
    /// expiry there. The confirm once raised the place by CAS from the value it read, which then matched, lost the head CAS
    /// and answered Stale: the next hold, never confirmed, lived until the deadline, with no audit record of it (CI:
    /// <c>audit_replay_mismatches 1</c>; ApprovalRaceTests). Only the claim that owns the cell's bits writes the place
    /// (<see cref="WriteClaim"/>), and a store's read model under its lock (<see cref="ApplyReadModelAwaitApproval"/>).</para>
    /// </remarks>
    private bool TryAwaitApproval(int seat, int first, ulong cell, long deadlineTicks)
    {
        // The bound first (it stays at or below every live hold's expiry, and the deadline may come before the hold's own
        // expiry): lowered for nothing if the head CAS fails, which costs at most one scan.
        LowerEarliestHoldExpiry(deadlineTicks);

        // Head CAS, plain held → held with the approval bit: orders this confirm against a reclaim, release or block of the claim.
        if (!TryCasCell(CellIndex(seat, first), cell, cell | ClaimCell.ApprovalBit))
        {
            return false;
        }

        BumpVersion();

        // The head's slot is now an unapproved booking's (SeatState.Awaiting if no other seat there is free or plainly held):
        // the index passes it over until the deadline, so it must learn of the bit (the bodies stay held there).
        RefreshIndex(first, first + 1);
        return true;
    }

    /// <summary>
    /// Releases a hold or booking. A booking whose start is within the cutoff is refused when
    /// <paramref name="bookedCutoffTicks"/> is before now. An expired hold no longer owns its slots: Stale.
    /// So is a head of this token made for another <paramref name="patient"/> (directory index).
    /// </summary>
    public ClaimStatus Release(int seat, int first, long token, uint patient, EngineClock clock, long bookedCutoffTicks, out RemovedClaim removed)
    {
        var head = CellIndex(seat, first);

        // The clock is read only when an answer depends on it (a hold's expiry, a cutoff): releasing
        // a booking with no cutoff, the commonest undo, needs no time at all.
        var nowTicks = long.MinValue;
        while (true)
        {
            var cell = ReadCellAt(head);
            if (!IsHeadOf(cell, token, patient))
            {
                removed = default;
                return ClaimStatus.Stale;
            }

            var booked = ClaimCell.Kind(cell) == ClaimCell.KindBooked;
            if (nowTicks == long.MinValue && (!booked || bookedCutoffTicks != long.MaxValue))
            {
                nowTicks = clock.UtcTicks();
            }

            if (!booked && HeadExpiryAt(seat, first, cell) <= nowTicks)
            {
                removed = default;
                return ClaimStatus.Stale;
            }

            if (booked && nowTicks > bookedCutoffTicks)
            {
                removed = default;
                return ClaimStatus.CancelTooLate;
            }

            // Head CAS, claim → 0: whoever wins owns the claim's removal; the cell value compared is
            // the one the cutoff and expiry checks above were made on.
            if (TryCasCell(head, cell, ClaimCell.None))
            {
                removed = RemoveOwnedClaim(seat, first, cell, closeFrom: 0, closeTo: 0);
                return ClaimStatus.Succeeded;
            }
        }
    }

    /// <summary>
    /// From a claim cell at <paramref name="slot"/>, walks left over the cells with the same token to
    /// the claim's head. False when the walk meets another claim or none (the claim is being written
    /// or removed right now); otherwise <paramref name="cell"/> is the head cell as read.
    /// </summary>
    private bool TryFindHead(int seat, int slot, ref ulong cell, out int head)
    {
        var token = ClaimCell.Token(cell);
        head = slot;
        while (!ClaimCell.IsHead(cell))
        {
            head--;
            if (head < 0)
            {
                return false;
            }

            cell = ReadCell(seat, head);
            if (!ClaimCell.IsClaim(cell) || ClaimCell.Token(cell) != token)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reclaims the hold covering <paramref name="slot"/> if it has expired. True when this call
    /// took it (its slots are free again).
    /// </summary>
    public bool TryReclaimExpired(int seat, int slot, long nowTicks, out RemovedClaim removed)
    {
        removed = default;
        var cell = ReadCell(seat, slot);
        if (ClaimCell.Kind(cell) != ClaimCell.KindHeld)
        {
            return false;
        }

        if (!TryFindHead(seat, slot, ref cell, out var head))
        {
            return false;
        }

        if (ClaimCell.Kind(cell) != ClaimCell.KindHeld || HeadExpiryAt(seat, head, cell) > nowTicks)
        {
            return false;
        }

        // Head CAS, held → 0: the expiry takes effect here. A confirm that loses sees HoldExpired.
        if (!TryCasCell(CellIndex(seat, head), cell, ClaimCell.None))
        {
            return false;
        }

        removed = RemoveOwnedClaim(seat, head, cell, closeFrom: 0, closeTo: 0);
        if (removed.AwaitedApproval)
        {
            Layout.ApprovalLapses?.Lapsed(this, removed);
        }

        return true;
    }

    /// <summary>
    /// Finishes removing a claim whose head cell this thread has just CASed away. Slots in
    /// [closeFrom, closeTo) become closed; the rest go back to the free bitmap.
    /// </summary>
    private RemovedClaim RemoveOwnedClaim(int seat, int first, ulong headCell, int closeFrom, int closeTo)
    {
        AssertOwned(seat, first, first + 1, "the winner of the head CAS");
        var token = ClaimCell.Token(headCell);
        var end = first + 1;
        while (end < SlotCount)
        {
            var target = CellIndex(seat, end);
            var current = ReadCellAt(target);
            if (!ClaimCell.IsClaim(current) || ClaimCell.IsHead(current) || ClaimCell.Token(current) != token)
            {
                break;
            }

            // Only the head's owner clears a claim's other cells; a confirm that ran before us may
            // still turn one held → booked, so retry until the CAS sees the latest value.
            if (TryCasCell(target, current, ClaimCell.None))
            {
                end++;
            }
        }

        AssertOwned(seat, first, end, "the remover that cleared the claim's cells");
        var held = ClaimCell.Kind(headCell) == ClaimCell.KindHeld;
        var expiry = held ? HeadExpiryAt(seat, first, headCell) : 0;
        for (var slot = first; slot < end; slot++)
        {
            if (slot >= closeFrom && slot < closeTo)
            {
                PublishCell(CellIndex(seat, slot), ClaimCell.Closed);
            }
            else
            {
                ReturnBits(seat, slot, 1);
            }
        }

        if (held)
        {
            // Only the head CAS winner gets here, so a removed hold is counted off exactly once.
            Interlocked.Decrement(ref _liveHolds);
        }

        BumpVersion();
        RefreshIndex(first, end);
        return new RemovedClaim(seat, first, end - first, token, ClaimCell.Patient(headCell), !held, expiry, ClaimCell.AwaitsApproval(headCell));
    }

    /// <summary>
    /// Whether the claim with this token on this slot still owns it. An expired hold is reclaimed
    /// on the spot, so that "not live" is final (a confirm can no longer revive it).
    /// </summary>
    public bool IsLiveClaim(int slot, long token, long nowTicks)
    {
        for (var seat = 0; seat < Capacity; seat++)
        {
            while (true)
            {
                var cell = ReadCell(seat, slot);
                if (!IsHeadOf(cell, token))
                {
                    break;
                }

                if (ClaimCell.Kind(cell) == ClaimCell.KindBooked || HeadExpiryAt(seat, slot, cell) > nowTicks)
                {
                    return true;
                }

                if (TryReclaimExpired(seat, slot, nowTicks, out _))
                {
                    return false;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Reads the state word of <paramref name="slot"/>'s first seat and returns it, meaning nothing by itself: the active
    /// cap calls it for each of a full patient's claims before judging them with <see cref="IsLiveClaim"/>, so that the
    /// claims' lines, on calendars far apart, are fetched together rather than one after another (see
    /// <see cref="ActiveLedger"/>'s second pass). Out of range: 0, no throw.
    /// </summary>
    public uint TouchClaim(int slot) => (uint)slot < (uint)SlotCount ? Volatile.Read(ref StateAt(slot)) : 0;

    /// <summary>Reclaims every expired hold of the calendar; adds what it reclaimed to <paramref name="reclaimed"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReclaimExpiredHolds(long nowTicks, List<RemovedClaim>? reclaimed)
    {
        // A calendar with no live hold is answered by one read of its bound, inlined at the caller (a search asks
        // this of every calendar it visits; the call and the bound's conversion to ticks were most of a full one's cost).
        var bound = Volatile.Read(ref _earliestHoldExpiry);
        return bound == NoHoldBound || nowTicks < BoundToTicks(bound) ? 0 : ReclaimDueHolds(nowTicks, reclaimed);
    }

    /// <summary>The body of <see cref="ReclaimExpiredHolds"/> once the bound says a hold may have expired.</summary>
    private int ReclaimDueHolds(long nowTicks, List<RemovedClaim>? reclaimed)
    {
        if (nowTicks < EarliestHoldExpiryTicks)
        {
            return 0;
        }

        // Reset, then lower again from every live hold seen. A hold published during the scan
        // lowers the bound itself after publishing its head, so the bound stays a lower bound.
        // The reset is a full fence (Interlocked, not Volatile.Write): the cell reads below must not
        // move before it, or a hold published meanwhile could be missed by both sides.
        Interlocked.Exchange(ref _earliestHoldExpiry, NoHoldBound);

        // The index's copy of this bound too, after ours and before the scan (BranchDayIndex.LowerHoldMark's remarks): the
        // scan's lowering below, and a hold published meanwhile, lower both again.
        Volatile.Read(ref _index)?.ResetMemberBound(Provider.GroupMember, this);
        var count = 0;
        for (var seat = 0; seat < Capacity; seat++)
        {
            for (var slot = 0; slot < SlotCount; slot++)
            {
                var cell = ReadCell(seat, slot);
                if (ClaimCell.Kind(cell) != ClaimCell.KindHeld || !ClaimCell.IsHead(cell))
                {
                    continue;
                }

                var expiry = HeadExpiryAt(seat, slot, cell);
                if (expiry > nowTicks)
                {
                    LowerEarliestHoldExpiry(expiry);
                }
                else if (TryReclaimExpired(seat, slot, nowTicks, out var removed))
                {
                    count++;
                    reclaimed?.Add(removed);
                }
                else if (ClaimCell.Kind(ReadCell(seat, slot)) == ClaimCell.KindHeld)
                {
                    // Lost a race with a confirm or another reclaim that has not finished: keep the bound low.
                    LowerEarliestHoldExpiry(expiry);
                }
            }
        }

        return count;
    }

    /// <summary>Whether any hold may be live (cheap check for the sweeper).</summary>
    public bool HasHolds => Volatile.Read(ref _liveHolds) > 0;
}
