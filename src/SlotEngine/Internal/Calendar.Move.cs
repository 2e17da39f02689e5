namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// Reads the live claim a reservation names, for a move: whether it is booked, and a hold's expiry. False when the
    /// head at (<paramref name="seat"/>, <paramref name="first"/>) is not this token's claim for this patient, or is an
    /// expired hold. A snapshot: a confirm may turn the hold into a booking right after (the move's release reports it).
    /// </summary>
    public bool TryReadLiveClaim(int seat, int first, long token, uint patient, long nowTicks, out bool booked, out long holdExpiryTicks)
    {
        var cell = ReadCell(seat, first);
        booked = false;
        holdExpiryTicks = 0;
        if (!IsHeadOf(cell, token, patient))
        {
            return false;
        }

        if (ClaimCell.Kind(cell) == ClaimCell.KindBooked)
        {
            booked = true;
            return true;
        }

        holdExpiryTicks = HeadExpiryAt(seat, first, cell);
        return holdExpiryTicks > nowTicks;
    }
}
