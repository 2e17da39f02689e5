namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// Closes [first, first + length) on every seat. Free seats close; holds and bookings that
    /// touch the range are removed whole (their slots outside the range become free) and reported.
    /// An administrative operation: it waits (with <see cref="SpinWait"/>) for claims in progress
    /// on the range to finish, so that it never closes a slot under a half-written claim.
    /// </summary>
    public int Block(int first, int length, long nowTicks, List<RemovedClaim> displaced)
    {
        var end = first + length;
        var closed = 0;
        for (var seat = 0; seat < Capacity; seat++)
        {
            for (var slot = first; slot < end; slot++)
            {
                var spinner = default(SpinWait);
                while (true)
                {
                    ref var word = ref FreeWord(WordIndex(seat, slot));
                    var bit = 1UL << slot;
                    var current = Volatile.Read(ref word);
                    if ((current & bit) != 0)
                    {
                        // Take a free seat exactly as a claim would, then mark it closed.
                        if (Interlocked.CompareExchange(ref word, current & ~bit, current) == current)
                        {
                            AssertOwned(seat, slot, slot + 1, "a block that cleared the free bit");
                            PublishCell(CellIndex(seat, slot), ClaimCell.Closed);
                            BumpVersion();
                            RefreshIndex(slot, slot + 1);
                            closed++;
                            break;
                        }

                        continue;
                    }

                    var cell = ReadCell(seat, slot);
                    if (cell == ClaimCell.Closed)
                    {
                        break;
                    }

                    if (ClaimCell.IsClaim(cell) && TryTakeClaimForBlock(seat, slot, cell, first, end, nowTicks, displaced, ref closed))
                    {
                        break;
                    }

                    // A claim, release or reclaim is half-way on this seat: let it finish.
                    spinner.SpinOnce();
                }
            }
        }

        return closed;
    }

    private bool TryTakeClaimForBlock(int seat, int slot, ulong cell, int first, int end, long nowTicks, List<RemovedClaim> displaced, ref int closed)
    {
        if (!TryFindHead(seat, slot, ref cell, out var head))
        {
            return false;
        }

        // Head CAS, claim → 0: the block owns this claim's removal.
        if (!TryCasCell(CellIndex(seat, head), cell, ClaimCell.None))
        {
            return false;
        }

        var removed = RemoveOwnedClaim(seat, head, cell, first, end);
        closed += Math.Min(end, removed.First + removed.Length) - Math.Max(first, removed.First);

        var expiredHold = !removed.WasBooked && removed.HoldExpiryTicks <= nowTicks;
        if (!expiredHold)
        {
            displaced.Add(removed);
        }
        else if (removed.AwaitedApproval)
        {
            // An unapproved booking past its deadline: released at it (counted and audited as a claim or a sweep does).
            Layout.ApprovalLapses?.Lapsed(this, removed);
        }

        return true;
    }

    /// <summary>Opens closed seats of [first, first + length) that the template offers; returns how many.</summary>
    public int Reopen(int first, int length)
    {
        var opened = 0;
        for (var seat = 0; seat < Capacity; seat++)
        {
            for (var slot = first; slot < first + length; slot++)
            {
                if (!Layout.IsOffered(slot))
                {
                    continue;
                }

                // Closed → 0 by CAS: only one reopen wins a seat; then its bit goes back.
                if (TryCasCell(CellIndex(seat, slot), ClaimCell.Closed, ClaimCell.None))
                {
                    AssertOwned(seat, slot, slot + 1, "a reopen that won the closed cell");
                    ReturnBits(seat, slot, 1);
                    BumpVersion();
                    RefreshIndex(slot, slot + 1);
                    opened++;
                }
            }
        }

        return opened;
    }
}
