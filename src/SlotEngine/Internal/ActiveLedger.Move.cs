namespace SlotEngine;

internal sealed partial class ActiveLedger
{
    /// <summary>
    /// For a move: takes the patient's entry that names the moved claim (<paramref name="calendar"/>, <paramref name="slot"/>,
    /// <paramref name="token"/>), from that claim to pending (version + 1), so the move needs no second entry and a
    /// patient at the cap can move. -1 when no entry names it (then the claim is not live, or another mover holds it).
    /// The caller then commits the entry to the new claim (<see cref="Commit"/>) or back to the moved one.
    /// </summary>
    public int TryTakeFromClaim(uint patientIndex, Calendar calendar, int slot, long token, out KeyTable.Place place)
    {
        place = PlaceOf(patientIndex);
        var want = ClaimBit | ((long)slot << SlotShift) | (token & TokenMask);
        var word = CalendarWordOf(calendar);
        for (var i = _first; i < _first + (_limit * LongsPerEntry); i += LongsPerEntry)
        {
            while (true)
            {
                var state = Volatile.Read(ref place.Payload(i));
                if ((state & ~(VersionBits | BookedBit | AwaitingBit)) != want || Volatile.Read(ref place.Payload(i + 1)) != word)
                {
                    break;
                }

                // The claim state → pending, version + 1. The calendar word read above belongs to this state: a later take
                // would have changed the version first, and then this CAS fails (another mover, or a claimer that found it
                // dead). A failed CAS reads the entry again: a confirm's MarkBooked or MarkAwaiting may only have set a
                // bit of this same claim (version unchanged), and the entry still names the moved claim.
                var pending = PendingBit | ((((state >> VersionShift) + 1) & VersionMask) << VersionShift);
                if (Interlocked.CompareExchange(ref place.Payload(i), pending, state) == state)
                {
                    return i;
                }
            }
        }

        return -1;
    }
}
