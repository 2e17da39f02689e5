namespace SlotEngine;

/// <summary>Approval in a store's read model (issue 11): the flag laid in from the store's feed, not inferred.</summary>
internal sealed partial class Calendar
{
    /// <summary>
    /// Lays one confirm the store made that left a hold awaiting approval (the feed delta <c>~seat,first,token,deadline</c>)
    /// into this read-model calendar: the hold's expiry place moves to <paramref name="deadlineTicks"/>, then its head takes
    /// the approval bit by the head CAS a confirm here makes (<see cref="TryAwaitApproval"/>; the read-model lock orders this
    /// against the other applies, and readers see the old or the new head whole). False, nothing
    /// changed, when this calendar is not at <paramref name="fromVersion"/> or the head is not this token's hold (reload).
    /// </summary>
    internal bool ApplyReadModelAwaitApproval(long fromVersion, long toVersion, int seat, int first, long token, long deadlineTicks)
    {
        lock (ReadModelLock)
        {
            if (!TryReadModelHeldHead(fromVersion, seat, first, token, out var head))
            {
                return false;
            }

            // Already flagged (an echo of a change laid in before): only the version moves.
            if (!ClaimCell.AwaitsApproval(head))
            {
                // The store's deadline into the place first (this calendar's layout may not know the store's approval rule),
                // then the bit. Safe here, unlike in a confirm (TryAwaitApproval's remarks): under the lock no other apply
                // runs, and only applies write claims into a read model, so the place is still this hold's.
                var expiry = HoldExpiryAt(seat, first);
                Interlocked.CompareExchange(ref EnsureHoldExpiry()[CellIndex(seat, first)], deadlineTicks, expiry);
                if (!TryAwaitApproval(seat, first, head, deadlineTicks))
                {
                    return false;
                }
            }

            Volatile.Write(ref _version, toVersion);
            return true;
        }
    }
}
