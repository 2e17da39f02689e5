namespace SlotEngine;

/// <summary>How many seats of a provider's day are free.</summary>
/// <param name="Day">The local day.</param>
/// <param name="FreeSeats">Free seats that can still be claimed (not in the past).</param>
/// <param name="TotalSeats">All seats of the day's template.</param>
public readonly record struct DayFreeCount(DateOnly Day, int FreeSeats, int TotalSeats);
