namespace SlotEngine;

/// <summary>What a block (or withdrawal) did.</summary>
/// <param name="ClosedSeats">How many seats (slot × capacity seat) it closed that were open before.</param>
/// <param name="Displaced">The holds and bookings it removed, so that the patients can be told.</param>
public sealed record BlockResult(int ClosedSeats, IReadOnlyList<DisplacedClaim> Displaced);
