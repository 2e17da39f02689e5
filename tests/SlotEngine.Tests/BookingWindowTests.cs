using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public class BookingWindowTests
{
    [Fact]
    public void Default_window_runs_from_tomorrow_to_fifteen_days_ahead()
    {
        var world = new TestWorld();
        var today = world.Publish(TestWorld.P1, TestWorld.Today);
        var tomorrow = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var last = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(15));
        var beyond = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(16));

        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(today, 40, 1, 0).Status);
        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(beyond, 0, 1, 1).Status);
        Assert.True(world.Book(tomorrow, 0, 1, 2).Succeeded);
        Assert.True(world.Book(last, 0, 1, 3).Succeeded);
        Assert.Equal(SlotStatus.Free, world.Engine.GetCalendar(today)[40].Status);
    }

    [Fact]
    public void Earliest_bookable_day_is_configurable()
    {
        var world = new TestWorld(o => { o.EarliestBookableDayOffset = 3; o.BookingHorizonDays = 4; });
        var inTwo = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(2));
        var inThree = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(3));
        var inFive = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(5));
        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(inTwo, 0, 1, 0).Status);
        Assert.True(world.Book(inThree, 0, 1, 0).Succeeded);
        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(inFive, 0, 1, 1).Status);
    }

    [Fact]
    public void The_window_moves_with_the_clock()
    {
        var world = new TestWorld();
        var tomorrow = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var far = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(16));
        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(far, 0, 1, 0).Status);
        world.Time.SetUtcNow(TestWorld.At(TestWorld.Tomorrow, 0, 0));
        Assert.True(world.Book(far, 0, 1, 0).Succeeded);
        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(tomorrow, 47, 1, 1).Status);
    }

    [Fact]
    public void Past_slots_are_never_claimable()
    {
        var world = new TestWorld(o => o.EarliestBookableDayOffset = 0);
        var today = world.Publish(TestWorld.P1, TestWorld.Today);

        // 09:00 now: slot 6 starts at 09:00 (not after now), slot 7 at 09:10.
        Assert.Equal(ClaimStatus.InPast, world.Book(today, 0, 1, 0).Status);
        Assert.Equal(ClaimStatus.InPast, world.Book(today, 6, 1, 0).Status);
        Assert.Equal(ClaimStatus.InPast, world.Hold(today, 5, 3, 0).Status);
        Assert.True(world.Book(today, 7, 1, 0).Succeeded);
        world.Time.Advance(TimeSpan.FromMinutes(20));
        Assert.Equal(ClaimStatus.InPast, world.Hold(today, 8, 1, 1).Status);
        Assert.True(world.Hold(today, 9, 1, 1).Succeeded);
    }

    [Fact]
    [Trait("Category", "Scan")]
    public void Past_slots_are_never_offered()
    {
        var world = new TestWorld(o => o.EarliestBookableDayOffset = 0);
        world.Publish(TestWorld.P1, TestWorld.Today);
        var earliest = world.Engine.FindEarliest(EarliestQuery.ForClinic(TestWorld.C10, TestWorld.Today, TestWorld.Today, 1, 3).WithStartsPerCalendar(3));
        Assert.Equal([7, 8, 9], earliest.Select(e => e.Slots.First));
        Assert.Equal(new DayFreeCount(TestWorld.Today, 48 - 7, 48), Assert.Single(world.Engine.GetFreeCounts(TestWorld.P1, TestWorld.Today, TestWorld.Today)));
        world.Time.SetUtcNow(TestWorld.At(TestWorld.Today, 16, 50));
        Assert.Empty(world.Engine.FindEarliest(EarliestQuery.ForClinic(TestWorld.C10, TestWorld.Today, TestWorld.Today)));
        Assert.Equal(0, world.Engine.GetFreeCounts(TestWorld.P1, TestWorld.Today, TestWorld.Today)[0].FreeSeats);
    }

    [Fact]
    [Trait("Category", "Scan")]
    public void Days_outside_the_window_are_not_offered_and_count_zero()
    {
        var world = new TestWorld();
        world.Publish(TestWorld.P1, TestWorld.Today);
        world.Publish(TestWorld.P1, TestWorld.Today.AddDays(16));
        world.Publish(TestWorld.P1, TestWorld.Today.AddDays(2));
        var found = world.Engine.FindEarliest(EarliestQuery.ForProviders([TestWorld.P1], TestWorld.Today, TestWorld.Today.AddDays(20), 1, 5));
        Assert.Equal([TestWorld.Today.AddDays(2)], found.Select(f => f.Calendar.Day));
        Assert.Equal(
            [new DayFreeCount(TestWorld.Today, 0, 48), new DayFreeCount(TestWorld.Today.AddDays(2), 48, 48), new DayFreeCount(TestWorld.Today.AddDays(16), 0, 48)],
            world.Engine.GetFreeCounts(TestWorld.P1, TestWorld.Today, TestWorld.Today.AddDays(20)));
    }

    [Fact]
    public void Today_follows_the_engine_zone_not_utc()
    {
        // 22:30 UTC on the 22nd is already 01:30 on the 23rd in Istanbul.
        var world = new TestWorld(start: new DateTimeOffset(2026, 11, 22, 22, 30, 0, TimeSpan.Zero));
        Assert.Equal(TestWorld.Tomorrow, world.Engine.Today);
        var tomorrow = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.Equal(ClaimStatus.OutsideBookingWindow, world.Book(tomorrow, 30, 1, 0).Status);
    }
}
