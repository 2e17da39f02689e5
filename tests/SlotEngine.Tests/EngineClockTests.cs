using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Tests;

/// <summary>
/// <see cref="EngineClock"/>: a provider other than the system one is asked on every read (a test's clock moves the
/// engine's "now" exactly); the system provider is read through the coarse millisecond count, which stays within its
/// documented few milliseconds of the provider (checked here against a generous second, as scheduling on a loaded
/// machine can pause a thread between two reads) and never runs backwards by more than that.
/// </summary>
public class EngineClockTests
{
    [Fact]
    public void A_fake_provider_is_read_exactly_every_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 7, 0, 0, TimeSpan.Zero));
        var clock = new EngineClock(time);
        Assert.Equal(time.GetUtcNow().UtcTicks, clock.UtcTicks());
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(time.GetUtcNow().UtcTicks, clock.UtcTicks());
        time.Advance(TimeSpan.FromHours(30));
        Assert.Equal(time.GetUtcNow().UtcTicks, clock.UtcTicks());
    }

    [Fact]
    public void The_system_provider_is_followed_within_its_coarse_precision()
    {
        var clock = new EngineClock(TimeProvider.System);
        var slack = TimeSpan.FromSeconds(1).Ticks;
        var previous = 0L;
        for (var i = 0; i < 200_000; i++)
        {
            var before = TimeProvider.System.GetUtcNow().UtcTicks;
            var now = clock.UtcTicks();
            var after = TimeProvider.System.GetUtcNow().UtcTicks;
            Assert.InRange(now, before - slack, after + slack);

            // A re-anchor may step back by at most the coarse count's tick (a few milliseconds), never more.
            Assert.True(now >= previous - slack, $"read {i} went back from {previous} to {now}");
            previous = now;
        }
    }
}
