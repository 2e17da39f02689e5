namespace SlotEngine.Benchmarks.Queries;

/// <summary>How the clinic's slots are booked before the search (always the same seeded random pattern).</summary>
public enum BookingPattern
{
    /// <summary>Every slot of every day booked with probability 1/2: free starts everywhere.</summary>
    HalfBooked,

    /// <summary>Every slot booked with probability 0.98: a few scattered free slots (cancellations) on each day.</summary>
    MostlyBooked,

    /// <summary>The first 12 days fully booked, the last 3 half booked: the search must skip 2,400 full calendars (MHRS in a rush).</summary>
    NearDaysFull,
}
