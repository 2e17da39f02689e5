namespace SlotEngine.Redis.Tests.Store;

/// <summary>The admission's cached local midnights: the same as computing them each time, in every slot and zone.</summary>
public sealed class MidnightCacheTests
{
    [Fact]
    public void Every_day_of_two_years_in_a_zone_with_daylight_saving_matches_the_day_layout_also_on_a_second_read()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"); // midnights on both sides of the clock changes
        var cache = new MidnightCache();
        var first = new DateOnly(2026, 1, 1);
        for (var round = 0; round < 2; round++)
        {
            // 730 days: each slot of the table is taken over by another day about 11 times per round.
            for (var day = first; day < first.AddDays(730); day = day.AddDays(1))
            {
                Assert.Equal(UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(day, berlin)), cache.UnixMsOf(day, berlin));
                Assert.Equal(UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(day, berlin)), cache.UnixMsOf(day, berlin));
            }
        }
    }

    [Fact]
    public void A_day_asked_in_another_zone_is_that_zones_midnight_not_the_cached_one()
    {
        var istanbul = TimeZoneInfo.FindSystemTimeZoneById("Europe/Istanbul");
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var cache = new MidnightCache();
        var day = new DateOnly(2026, 11, 30);

        var inIstanbul = cache.UnixMsOf(day, istanbul);
        var inTokyo = cache.UnixMsOf(day, tokyo);

        Assert.Equal(UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(day, istanbul)), inIstanbul);
        Assert.Equal(UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(day, tokyo)), inTokyo);
        Assert.Equal(6 * 3_600_000L, inIstanbul - inTokyo); // UTC+3 against UTC+9
    }

    [Fact]
    public void The_booking_window_it_sends_is_the_rules_window_for_every_day_of_a_year()
    {
        var rules = new BookingRules(new SlotEngineOptions
        {
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"),
            BookingHorizonDays = 30,
            EarliestBookableDayOffset = 2,
        });
        var cache = new MidnightCache();
        for (var day = new DateOnly(2026, 1, 1); day < new DateOnly(2027, 1, 1); day = day.AddDays(1))
        {
            var (open, close) = rules.BookingWindowOf(day);
            Assert.Equal((UnixMs.FromTicks(open), UnixMs.FromTicks(close)), cache.BookingWindowOf(rules, day));
        }
    }
}
