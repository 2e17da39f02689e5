namespace SlotEngine.Redis;

/// <summary>
/// Local midnights as Unix milliseconds, one per day, made once (<see cref="DayLayout.LocalMidnightUtcTicks"/> asks the
/// time zone three times per call; a claim's admission needs two midnights): the core's <see cref="DayCache{T}"/> of 64
/// places, in the milliseconds the scripts compare with Redis <c>TIME</c>.
/// </summary>
internal sealed class MidnightCache
{
    private readonly DayCache<long> _midnights = new(64, static (day, zone) => UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(day, zone)));

    /// <summary>The Unix milliseconds of <paramref name="day"/>'s local midnight in <paramref name="zone"/>.</summary>
    public long UnixMsOf(DateOnly day, TimeZoneInfo zone) => _midnights.Get(day, zone);

    /// <summary>
    /// <see cref="BookingRules.BookingWindowOf"/> in Unix milliseconds from this cache (two midnights a claim sends, made once
    /// per day): from the midnight <see cref="BookingRules.BookingHorizonDays"/> days before <paramref name="day"/> to the one
    /// that ends the last day at least <see cref="BookingRules.EarliestBookableDayOffset"/> days before it.
    /// </summary>
    public (long OpenMs, long CloseMs) BookingWindowOf(BookingRules rules, DateOnly day) => (
        UnixMsOf(day.AddDays(-rules.BookingHorizonDays), rules.TimeZone),
        UnixMsOf(day.AddDays(1 - rules.EarliestBookableDayOffset), rules.TimeZone));
}
