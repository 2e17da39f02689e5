namespace SlotEngine.Stores;

/// <summary>
/// One hold or booking as a store holds it, to be laid into a <see cref="ReadModel"/> (advanced: for store authors).
/// </summary>
/// <param name="Seat">The seat, 0 to the template's capacity − 1.</param>
/// <param name="First">The claim's first slot.</param>
/// <param name="Length">How many consecutive slots it covers (at least 1).</param>
/// <param name="Token">Its fencing token, 1 to <see cref="ReadModel.MaxToken"/>.</param>
/// <param name="Patient">Its owner.</param>
/// <param name="Booked">True for a booking, false for a hold.</param>
/// <param name="HoldExpiryTicks">For a hold, when it expires, in UTC ticks; 0 for a booking.</param>
public readonly record struct ReadModelClaim(int Seat, int First, int Length, long Token, PatientKey Patient, bool Booked, long HoldExpiryTicks)
{
    /// <summary>
    /// Whether this hold is a booking awaiting approval (<see cref="SlotEngineOptions.Approval"/>): kept as a hold whose
    /// <see cref="HoldExpiryTicks"/> is its approval deadline; the read model's seats then read as
    /// <see cref="SeatView.AwaitsApproval"/>. Ignored for a booking.
    /// </summary>
    /// <value>The default value is <see langword="false"/> (a plain hold; what a store that predates the flag says).</value>
    public bool AwaitsApproval { get; init; }
}
