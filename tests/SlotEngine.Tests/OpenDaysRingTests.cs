using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// A provider's ring of open days starts small and doubles when a day to open meets an open day in its place
/// (ProviderEntry): every open day stays readable and claimable across the growth, and the limit
/// (<see cref="SlotEngineOptions.MaxOpenDaysPerProvider"/>) refuses exactly as a full ring always did.
/// </summary>
public sealed class OpenDaysRingTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(20)]
    [InlineData(48)]
    [InlineData(5)]
    public void Every_open_day_up_to_the_limit_stays_readable_across_growth(int maxOpenDays)
    {
        var world = new TestWorld(o =>
        {
            o.MaxOpenDaysPerProvider = maxOpenDays;
            o.BookingHorizonDays = 80;
        });
        var booked = new List<Reservation>();
        for (var d = 0; d < maxOpenDays; d++)
        {
            var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow.AddDays(d));
            booked.Add(world.MustBook(key, d % 40, 1, d % 7));
        }

        foreach (var reservation in booked)
        {
            var seat = world.Engine.GetCalendar(reservation.Calendar)[reservation.Slots.First];
            Assert.Equal(SlotStatus.Booked, seat.Status);
            Assert.Equal(reservation.Token, seat.Token);
        }

        // One day more lands in the place of an open day of a full ring: refused, nothing changed.
        var error = Assert.Throws<SlotEngineArgumentException>(() => world.Publish(TestWorld.P1, TestWorld.Tomorrow.AddDays(maxOpenDays)));
        Assert.Equal(SlotEngineError.TooManyOpenDays, error.Code);
        Assert.True(world.Engine.TryRelease(booked[^1]).Succeeded);
        world.AssertInvariants();

        // Once the first open day is past, its place takes the new day.
        world.Time.Advance(TimeSpan.FromDays(2));
        var later = world.Publish(TestWorld.P1, TestWorld.Tomorrow.AddDays(maxOpenDays));
        world.MustBook(later, 3, 1, 0);
        Assert.Equal(SlotStatus.Booked, world.Engine.GetCalendar(booked[^2].Calendar)[booked[^2].Slots.First].Status);
        world.AssertInvariants();
    }
}
