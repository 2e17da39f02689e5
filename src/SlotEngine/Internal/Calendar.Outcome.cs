namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// Whether the head cell of <paramref name="seat"/> at <paramref name="first"/> is a booking (not a hold) with this
    /// token made for this patient (directory index): the appointment an outcome is recorded for. One read; a
    /// release racing it is ordered after it.
    /// </summary>
    public bool IsBookedBy(int seat, int first, long token, uint patient)
    {
        var cell = ReadCell(seat, first);
        return IsHeadOf(cell, token, patient) && ClaimCell.Kind(cell) == ClaimCell.KindBooked;
    }
}
