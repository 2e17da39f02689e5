namespace SlotEngine.Redis;

/// <summary>
/// Local midnights as Unix milliseconds, one per day, made once (<see cref="DayLayout.LocalMidnightUtcTicks"/> asks the
/// time zone three times per call; a claim's admission needs two midnights). A small direct-mapped table: a day's entry
/// sits in slot <c>DayNumber mod 64</c>, and a day that finds another's (or another zone's) there computes and replaces it.
/// </summary>
internal sealed class MidnightCache
{
    private const int Slots = 64;

    /// <summary>
    /// Invariant: every entry is immutable and correct for its own day and zone; a slot only ever changes from one whole
    /// entry to another by one reference write, so a reader racing a writer sees either, and checks it is its day's.
    /// </summary>
    private readonly Entry?[] _entries = new Entry?[Slots];

    /// <summary>The Unix milliseconds of <paramref name="day"/>'s local midnight in <paramref name="zone"/>.</summary>
    public long UnixMsOf(DateOnly day, TimeZoneInfo zone)
    {
        var slot = (uint)day.DayNumber % Slots;
        var entry = Volatile.Read(ref _entries[slot]);
        if (entry is not null && entry.DayNumber == day.DayNumber && ReferenceEquals(entry.Zone, zone))
        {
            return entry.UnixMs;
        }

        var ms = UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(day, zone));
        Volatile.Write(ref _entries[slot], new Entry(day.DayNumber, zone, ms)); // a miss: once per day and zone while it stays
        return ms;
    }

    /// <summary>
    /// <see cref="BookingRules.BookingWindowOf"/> in Unix milliseconds from this cache (two midnights a claim sends, made once
    /// per day): from the midnight <see cref="BookingRules.BookingHorizonDays"/> days before <paramref name="day"/> to the one
    /// that ends the last day at least <see cref="BookingRules.EarliestBookableDayOffset"/> days before it.
    /// </summary>
    public (long OpenMs, long CloseMs) BookingWindowOf(BookingRules rules, DateOnly day) => (
        UnixMsOf(day.AddDays(-rules.BookingHorizonDays), rules.TimeZone),
        UnixMsOf(day.AddDays(1 - rules.EarliestBookableDayOffset), rules.TimeZone));

    private sealed record Entry(int DayNumber, TimeZoneInfo Zone, long UnixMs);
}
