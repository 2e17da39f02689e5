namespace SlotEngine;

/// <summary>One seat of one slot in a <see cref="CalendarSnapshot"/>.</summary>
/// <param name="Status">Its state.</param>
/// <param name="Owner">The patient holding or booking it, or the default value.</param>
/// <param name="Token">The fencing token of the claim on it, or 0.</param>
/// <param name="HoldExpiresAt">For a hold, when it expires (for an unapproved booking, its approval deadline).</param>
public readonly record struct SeatView(SlotStatus Status, PatientKey Owner, long Token, DateTimeOffset? HoldExpiresAt)
{
    /// <summary>
    /// Whether the claim is a booking that awaits approval (<see cref="SlotEngineOptions.Approval"/>): its <see cref="Status"/>
    /// is <see cref="SlotStatus.Held"/> (it is released at <see cref="HoldExpiresAt"/>, its deadline, unless approved), and
    /// this tells it from a plain hold. False for plain holds, bookings and free or closed seats.
    /// </summary>
    public bool AwaitsApproval { get; init; }

    /// <summary>
    /// The pool this seat is kept for (<see cref="ReservedCapacity.Pool"/>) when the day's reservation covers it and is
    /// not yet released; null otherwise. Set whatever the seat's <see cref="Status"/>: a free seat with a pool is free
    /// for that pool's claims only (<see cref="CalendarSnapshot.FreeSeats"/> does not count it).
    /// </summary>
    public string? ReservedFor { get; init; }
}
