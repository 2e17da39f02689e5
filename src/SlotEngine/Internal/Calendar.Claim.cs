namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// Claims <paramref name="length"/> slots from <paramref name="first"/> on the first seat where all
    /// are free: all or nothing. The caller has validated the range and the booking rules.
    /// </summary>
    /// <param name="first">First slot.</param>
    /// <param name="length">Slots, within one session.</param>
    /// <param name="patient">The patient's directory index.</param>
    /// <param name="holdExpiryTicks">For a hold, its UTC expiry in ticks; 0 for a booking.</param>
    /// <param name="nowTicks">Now, in UTC ticks (for lazy expiry).</param>
    /// <param name="seat">The seat claimed.</param>
    /// <param name="token">The fencing token issued.</param>
    /// <param name="awaitsApproval">Whether the claim is an unapproved booking: a hold whose expiry is its approval deadline, with the approval bit on its head.</param>
    /// <returns>Succeeded, Taken or Closed.</returns>
    public ClaimStatus TryClaim(int first, int length, uint patient, long holdExpiryTicks, long nowTicks, out int seat, out long token, bool awaitsApproval = false) =>
        TryClaimSeats(first, length, patient, holdExpiryTicks, nowTicks, Capacity, topDown: false, out seat, out token, awaitsApproval);

    /// <summary>
    /// Clears the free bits of [first, first + length) on one seat, word by word in ascending
    /// order, or none of them.
    /// </summary>
    private bool TryTakeBits(int seat, int first, int length, long nowTicks, ref bool sawClosed)
    {
        var end = first + length;
        var slot = first;
        while (slot < end)
        {
            var wordEnd = Math.Min(end, (slot | 63) + 1);
            var mask = RangeMask(slot, wordEnd);
            ref var word = ref FreeWord(WordIndex(seat, slot));
            while (true)
            {
                var current = Volatile.Read(ref word);
                if ((current & mask) == mask)
                {
                    // The claim CAS: succeeds only if every bit of the range in this word is still 1
                    // (free), and clears exactly those bits. Success makes these slots ours; no other
                    // claimer can clear a bit that is already 0.
                    if (Interlocked.CompareExchange(ref word, current & ~mask, current) == current)
                    {
                        break;
                    }

                    continue;
                }

                var missing = mask & ~current;
                if (nowTicks >= EarliestHoldExpiryTicks && TryReclaimExpiredAmong(seat, slot & ~63, missing, nowTicks))
                {
                    continue;
                }

                if (AnyClosed(seat, slot & ~63, missing))
                {
                    sawClosed = true;
                }

                if (slot > first)
                {
                    ReturnBits(seat, first, slot - first);
                    RefreshIndex(first, slot);
                }

                return false;
            }

            slot = wordEnd;
        }

        return true;
    }

    private long IssueToken(int seat, int first, int length)
    {
        while (true)
        {
            var last = Volatile.Read(ref _lastToken);
            if (last >= ClaimCell.MaxToken)
            {
                ReturnBits(seat, first, length);
                RefreshIndex(first, first + length);
                ThrowTokensExhausted();
            }

            // Token CAS, last → last + 1: every claim gets a token no other claim on this calendar ever had (fencing),
            // and the counter never passes MaxToken (so it fits 32 bits); readers of LastToken may see a token whose
            // cells are not written yet.
            if (Interlocked.CompareExchange(ref _lastToken, last + 1, last) == last)
            {
                return last + 1;
            }
        }
    }

    // Cold: the message is built apart from the claim's hot path (see BookingRules.ValidateRange).
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void ThrowTokensExhausted() =>
        throw new SlotEngineArgumentException(SlotEngineError.TokensExhausted, $"{Key} has issued all {ClaimCell.MaxToken} fencing tokens it can; withdraw and publish the day again.");

    /// <summary>Publishes a claim on slots whose bits this thread has just cleared (their cells are 0).</summary>
    private void WriteClaim(int seat, int first, int length, ulong kind, long token, uint patient, long holdExpiryTicks, bool awaitsApproval = false)
    {
        AssertOwned(seat, first, first + length, "a claim that cleared the free bits");
        if (kind == ClaimCell.KindHeld)
        {
            Volatile.Write(ref EnsureHoldExpiry()[CellIndex(seat, first)], holdExpiryTicks);
        }

        var body = ClaimCell.Pack(kind, head: false, token, patient);
        for (var slot = first + 1; slot < first + length; slot++)
        {
            PublishCell(CellIndex(seat, slot), body);
        }

        // The head is written last: a head cell with this token means the whole claim is visible.
        PublishCell(CellIndex(seat, first), ClaimCell.Pack(kind, head: true, token, patient) | (awaitsApproval ? ClaimCell.ApprovalBit : 0));
        if (kind == ClaimCell.KindHeld)
        {
            // Counts live holds (+1 here, −1 by whoever removes or confirms one); 0 lets readers skip expiry work.
            Interlocked.Increment(ref _liveHolds);
            LowerEarliestHoldExpiry(holdExpiryTicks);
        }

        BumpVersion();
        RefreshIndex(first, first + length);
    }

    /// <summary>This calendar's places in the day's hold-expiry table (no allocation per calendar; see <see cref="HoldExpiryAt"/>).</summary>
    private HoldExpiries EnsureHoldExpiry() => new(this, Layout.EnsureHoldExpiries());

    /// <summary>Keeps <see cref="_earliestHoldExpiry"/> a lower bound of every live hold's expiry.</summary>
    private void LowerEarliestHoldExpiry(long expiryTicks)
    {
        var bound = TicksToBound(expiryTicks);
        var current = Volatile.Read(ref _earliestHoldExpiry);
        while (bound < current)
        {
            // Only lowers: the CAS fails if another writer moved it since `current`, and we retry against that value,
            // so the field stays ≤ every live hold's expiry. A reader may see it too low (harmless: an extra scan), never too high.
            var seen = Interlocked.CompareExchange(ref _earliestHoldExpiry, bound, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        // After our own bound (a calendar joining reads the bound after pointing at the index: one of the two sees the
        // other), and before the caller's index refresh: the index's mark covers this expiry (BranchDayIndex.LowerHoldMark).
        Volatile.Read(ref _index)?.LowerHoldMark(Provider.GroupMember, expiryTicks);
    }

    private bool AnyClosed(int seat, int wordBase, ulong bits)
    {
        while (bits != 0)
        {
            var slot = wordBase + System.Numerics.BitOperations.TrailingZeroCount(bits);
            if (ReadCell(seat, slot) == ClaimCell.Closed)
            {
                return true;
            }

            bits &= bits - 1;
        }

        return false;
    }

    /// <summary>Reclaims any expired hold that covers one of <paramref name="bits"/>; true when one was reclaimed.</summary>
    private bool TryReclaimExpiredAmong(int seat, int wordBase, ulong bits, long nowTicks)
    {
        while (bits != 0)
        {
            var slot = wordBase + System.Numerics.BitOperations.TrailingZeroCount(bits);
            if (TryReclaimExpired(seat, slot, nowTicks, out _))
            {
                return true;
            }

            bits &= bits - 1;
        }

        return false;
    }
}
