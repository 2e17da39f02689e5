namespace SlotEngine;

/// <summary>
/// What a successful hold or book returns: which slots, which seat, the owner and the fencing
/// token. Confirm, release and cancel must present it; a reservation whose token no longer owns
/// its slots is refused as <see cref="ClaimStatus.Stale"/>.
/// </summary>
/// <remarks>
/// To hand a reservation to a client and take it back, use its signed code
/// (<see cref="ToCode(PatientKeyHasher)"/>, <see cref="TryParseCode(string?, PatientKeyHasher, out Reservation, out ReservationCodeError)"/>),
/// not fields the client could change. Its JSON form (every field as it is) is for a caller's own
/// storage and logs, not for clients.
/// </remarks>
/// <param name="Calendar">The calendar (provider and local day).</param>
/// <param name="Slots">The consecutive slots claimed.</param>
/// <param name="Seat">The seat (capacity seat) the claim occupies, 0 when capacity is 1.</param>
/// <param name="Token">The fencing token: strictly increasing per calendar, never 0.</param>
/// <param name="Patient">The patient who owns the claim.</param>
/// <param name="HoldExpiresAt">When the hold expires; <see langword="null"/> for a booking.</param>
public readonly partial record struct Reservation(
    CalendarKey Calendar,
    SlotRange Slots,
    int Seat,
    long Token,
    PatientKey Patient,
    DateTimeOffset? HoldExpiresAt)
{
    /// <summary>Whether this is the default value (no reservation).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsDefault => Token == 0;

    /// <summary>Whether the claim was a hold when this reservation was issued.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsHold => HoldExpiresAt.HasValue;

    /// <inheritdoc />
    public override string ToString() =>
        IsDefault ? "(no reservation)" : $"{Calendar} {Slots} seat {Seat} token {Token} ({(IsHold ? "held" : "booked")})";
}
