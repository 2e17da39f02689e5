namespace SlotEngine;

/// <summary>How many seats of a provider's day are free.</summary>
/// <param name="Day">The local day.</param>
/// <param name="FreeSeats">Free seats that anyone can still claim (not in the past, not kept for a pool).</param>
/// <param name="TotalSeats">All seats of the day's template.</param>
/// <remarks>
/// Seats that the day's reservation (<see cref="ReservedCapacity"/>) keeps for a pool until its release are free but not
/// for everyone: they are counted in <see cref="ReservedFreeSeats"/>, not in <see cref="FreeSeats"/>, so the plain count
/// is what a citizen without the pool may take (a claim without the pool is steered off those seats). A pool member may
/// take both: <c>FreeSeats + ReservedFreeSeats</c>. After the release both are in <see cref="FreeSeats"/>.
/// </remarks>
public readonly record struct DayFreeCount(DateOnly Day, int FreeSeats, int TotalSeats)
{
    /// <summary>Free seats the day's reservation keeps for its pool until the release (0 when nothing is reserved).</summary>
    public int ReservedFreeSeats { get; init; }
}
