namespace SlotEngine;

/// <summary>The state of one seat of one slot, as a query saw it.</summary>
public enum SlotStatus
{
    /// <summary>Not offered: blocked, or not part of the day.</summary>
    Closed = 0,

    /// <summary>Free to claim. An expired hold also reads as free.</summary>
    Free,

    /// <summary>Held, with an expiry, while the patient confirms.</summary>
    Held,

    /// <summary>Booked (a confirmed claim).</summary>
    Booked,
}
