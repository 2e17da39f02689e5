namespace SlotEngine;

/// <summary>A hold or booking removed by a block or a withdrawal, returned so the caller can notify the patient.</summary>
/// <param name="Reservation">The claim as it was (its token is now stale).</param>
/// <param name="WasBooked">Whether it was a confirmed booking (otherwise a hold).</param>
public readonly record struct DisplacedClaim(Reservation Reservation, bool WasBooked);
