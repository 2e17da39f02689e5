namespace SlotEngine.Tests;

/// <summary>
/// The one per-day cache of the engine and its stores (<see cref="DayCache{T}"/>): what it returns is what computing the
/// day's value each time returns, through daylight-saving changes, evictions and a change of zone; and the rules that cache
/// with it (approval, release) answer as they did when they computed each time.
/// </summary>
public sealed class DayCacheTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"); // both clock changes
    private static readonly TimeZoneInfo Tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    [Fact]
    public void Every_day_of_two_years_is_its_computed_value_on_the_first_and_the_second_read_and_after_eviction()
    {
        var computed = 0;
        var cache = new DayCache<long>(16, (day, zone) =>
        {
            computed++;
            return DayLayout.LocalMidnightUtcTicks(day, zone);
        });
        var first = new DateOnly(2026, 1, 1);
        for (var round = 0; round < 2; round++)
        {
            // 730 days through 16 places: each place is taken over by another day about 45 times per round.
            for (var day = first; day < first.AddDays(730); day = day.AddDays(1))
            {
                Assert.Equal(DayLayout.LocalMidnightUtcTicks(day, Berlin), cache.Get(day, Berlin));
                Assert.Equal(DayLayout.LocalMidnightUtcTicks(day, Berlin), cache.Get(day, Berlin));
            }
        }

        Assert.Equal(2 * 730, computed); // once per day and round: the second read of each day was a hit
    }

    [Fact]
    public void A_day_asked_in_another_zone_is_that_zones_value_not_the_cached_one()
    {
        var cache = new DayCache<long>(64, static (day, zone) => DayLayout.LocalMidnightUtcTicks(day, zone));
        var day = new DateOnly(2026, 3, 29); // Berlin springs forward that night

        var inBerlin = cache.Get(day, Berlin);
        var inTokyo = cache.Get(day, Tokyo);

        Assert.Equal(DayLayout.LocalMidnightUtcTicks(day, Berlin), inBerlin);
        Assert.Equal(DayLayout.LocalMidnightUtcTicks(day, Tokyo), inTokyo);
        Assert.Equal(TimeSpan.FromHours(8).Ticks, inBerlin - inTokyo); // UTC+1 at that midnight against UTC+9
        Assert.Equal(inBerlin, cache.Get(day, Berlin));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(48)]
    public void A_size_that_is_not_a_positive_power_of_two_is_refused(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DayCache<int>(size, static (_, _) => 0));

    [Fact]
    public void Many_threads_reading_and_evicting_one_small_table_always_get_their_own_days_value()
    {
        var cache = new DayCache<long>(4, static (day, zone) => DayLayout.LocalMidnightUtcTicks(day, zone));
        var first = new DateOnly(2026, 10, 1);
        var wrong = 0;
        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var day = first.AddDays((i * 7 + worker) % 61);
                if (cache.Get(day, Berlin) != DayLayout.LocalMidnightUtcTicks(day, Berlin))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });
        Assert.Equal(0, wrong);
    }

    [Fact]
    public void Approval_instants_are_the_computed_ones_for_every_day_of_two_years_across_daylight_saving()
    {
        var policy = new ApprovalPolicy(2, TimeSpan.FromHours(4));
        var rules = new BookingRules(new SlotEngineOptions { TimeZone = Berlin, Approval = policy });
        for (var round = 0; round < 2; round++)
        {
            for (var day = new DateOnly(2026, 1, 1); day < new DateOnly(2028, 1, 1); day = day.AddDays(1))
            {
                var expected = (
                    DayLayout.LocalMidnightUtcTicks(day.AddDays(1 - policy.MinDaysAhead), Berlin),
                    DayLayout.LocalMidnightUtcTicks(day, Berlin) - policy.DeadlineBeforeDay.Ticks);
                Assert.Equal(expected, rules.ApprovalOf(day));
            }
        }
    }

    [Fact]
    public void A_release_opens_at_its_computed_instant_for_every_day_of_a_year_in_two_zones()
    {
        var release = new ReleasePolicy(10, TimeSpan.FromHours(10));
        for (var day = new DateOnly(2026, 1, 1); day < new DateOnly(2027, 1, 1); day = day.AddDays(1))
        {
            foreach (var zone in new[] { Berlin, Tokyo })
            {
                var expected = DayLayout.LocalMidnightUtcTicks(day.AddDays(-10), zone) + TimeSpan.FromHours(10).Ticks;
                Assert.Equal(expected, release.OpensAt(day, 0, zone).UtcTicks);
            }
        }
    }
}
