namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// <see cref="TryClaim"/> on a subset of seats, for reserved capacity (<see cref="ReservedCapacity"/>): the
    /// bottom <paramref name="seatCount"/> seats in ascending order (a claim steered off the reserved top seats), or,
    /// with <paramref name="topDown"/>, every seat from the top down (a pool claim: reserved seats first). The same
    /// claim CAS as <see cref="TryClaim"/> (<see cref="TryTakeBits"/>); only the seats tried differ.
    /// </summary>
    /// <returns>Succeeded, Taken or Closed.</returns>
    public ClaimStatus TryClaimSeats(int first, int length, uint patient, long holdExpiryTicks, long nowTicks, int seatCount, bool topDown, out int seat, out long token)
    {
        var sawClosed = false;
        for (var i = 0; i < seatCount; i++)
        {
            var candidate = topDown ? Capacity - 1 - i : i;
            if (TryTakeBits(candidate, first, length, nowTicks, ref sawClosed))
            {
                token = IssueToken(candidate, first, length);
                WriteClaim(candidate, first, length, holdExpiryTicks == 0 ? ClaimCell.KindBooked : ClaimCell.KindHeld, token, patient, holdExpiryTicks);
                seat = candidate;
                return ClaimStatus.Succeeded;
            }
        }

        seat = -1;
        token = 0;
        return sawClosed ? ClaimStatus.Closed : ClaimStatus.Taken;
    }
}
