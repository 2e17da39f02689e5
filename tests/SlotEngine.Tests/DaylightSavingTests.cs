using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// Europe/Berlin changes on 2026-03-29 (02:00 CET → 03:00 CEST: 02:00–02:59 never happens) and on
/// 2026-10-25 (03:00 CEST → 02:00 CET: 02:00–02:59 happens twice). Internal/DayLayout.cs documents
/// that gap slots are not offered and that ambiguous slots take their first occurrence (CEST).
/// </summary>
public class DaylightSavingTests
{
    private static readonly DateOnly SpringForward = new(2026, 3, 29);
    private static readonly DateOnly FallBack = new(2026, 10, 25);

    private static TestWorld BerlinWorld(DateOnly changeDay) => new(
        o =>
        {
            o.TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
            o.EarliestBookableDayOffset = 1;
        },
        new DateTimeOffset(changeDay.AddDays(-2).ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero));

    private static DateTimeOffset Utc(DateOnly day, int hour, int minute) => new(day.ToDateTime(new TimeOnly(hour, minute)), TimeSpan.Zero);

    [Fact]
    public void Spring_forward_gap_slots_are_not_offered()
    {
        var world = BerlinWorld(SpringForward);
        var key = world.Publish(TestWorld.P1, SpringForward, TestWorld.Template(30, 1, "01:00-04:00"));
        var snapshot = world.Engine.GetCalendar(key);

        // 01:00, 01:30 | 02:00, 02:30 (do not exist) | 03:00, 03:30
        Assert.Equal(
            [SlotStatus.Free, SlotStatus.Free, SlotStatus.Closed, SlotStatus.Closed, SlotStatus.Free, SlotStatus.Free],
            Enumerable.Range(0, 6).Select(s => snapshot[s].Status));
        Assert.Equal(Utc(SpringForward, 0, 0), snapshot.StartOf(0));
        Assert.Equal(Utc(SpringForward, 0, 30), snapshot.StartOf(1));
        Assert.Equal(Utc(SpringForward, 1, 0), snapshot.StartOf(4));
        Assert.Equal(Utc(SpringForward, 1, 30), snapshot.StartOf(5));
        AssertStrictlyIncreasing(snapshot);

        Assert.Equal(ClaimStatus.Closed, world.Book(key, 2, 1, 0).Status);
        Assert.Equal(ClaimStatus.Closed, world.Book(key, 1, 2, 0).Status);
        Assert.Equal(0, world.Engine.Reopen(key, new SlotRange(2, 2)));
        Assert.Equal(0, world.Engine.Block(key, new SlotRange(2, 2)).ClosedSeats);
        Assert.Equal(new DayFreeCount(SpringForward, 4, 6), Assert.Single(world.Engine.GetFreeCounts(TestWorld.P1, SpringForward, SpringForward)));
    }

    [Fact]
    [Trait("Category", "Scan")]
    public void Queries_skip_the_spring_forward_gap()
    {
        var world = BerlinWorld(SpringForward);
        world.Publish(TestWorld.P1, SpringForward, TestWorld.Template(30, 1, "01:00-04:00"));
        var ones = world.Engine.FindEarliest(EarliestQuery.ForProviders([TestWorld.P1], SpringForward, SpringForward, 1, 10).WithStartsPerCalendar(10));
        Assert.Equal([0, 1, 4, 5], ones.Select(f => f.Slots.First));
        var pairs = world.Engine.FindEarliest(EarliestQuery.ForProviders([TestWorld.P1], SpringForward, SpringForward, 2, 10).WithStartsPerCalendar(10));
        Assert.Equal([0, 4], pairs.Select(f => f.Slots.First));
    }

    [Theory]
    [InlineData("01:00-04:00", 30)]
    [InlineData("02:00-04:00", 30)]
    [InlineData("02:00-04:00", 60)]
    [InlineData("02:15-05:00", 15)]
    [InlineData("00:00-23:55", 5)]
    public void Slot_starts_strictly_increase_on_the_spring_forward_day(string session, int minutes)
    {
        var world = BerlinWorld(SpringForward);
        var key = world.Publish(TestWorld.P1, SpringForward, TestWorld.Template(minutes, 1, session));
        AssertStrictlyIncreasing(world.Engine.GetCalendar(key));
    }

    [Fact]
    public void Fall_back_ambiguous_hour_takes_its_first_occurrence()
    {
        var world = BerlinWorld(FallBack);
        var key = world.Publish(TestWorld.P1, FallBack, TestWorld.Template(30, 1, "01:00-04:00"));
        var snapshot = world.Engine.GetCalendar(key);

        // 01:00 and 01:30 CEST; 02:00 and 02:30 ambiguous → CEST (first occurrence); 03:00 and 03:30 CET.
        Assert.All(Enumerable.Range(0, 6), s => Assert.Equal(SlotStatus.Free, snapshot[s].Status));
        Assert.Equal(Utc(FallBack.AddDays(-1), 23, 0), snapshot.StartOf(0));
        Assert.Equal(Utc(FallBack.AddDays(-1), 23, 30), snapshot.StartOf(1));
        Assert.Equal(Utc(FallBack, 0, 0), snapshot.StartOf(2));
        Assert.Equal(Utc(FallBack, 0, 30), snapshot.StartOf(3));
        Assert.Equal(Utc(FallBack, 2, 0), snapshot.StartOf(4));
        Assert.Equal(Utc(FallBack, 2, 30), snapshot.StartOf(5));
        AssertStrictlyIncreasing(snapshot);
        Assert.True(world.Book(key, 2, 2, 0).Succeeded);
    }

    [Fact]
    public void Cancel_cutoff_uses_the_real_instant_across_the_change()
    {
        // 03:00 CEST on the spring-forward day is 01:00 UTC; 80 minutes before is 23:40 UTC the day before.
        // Time only moves forward, so the minute before the cutoff and the minute after are two worlds.
        foreach (var (minute, cancelled) in new[] { (41, false), (40, true) })
        {
            var world = BerlinWorld(SpringForward);
            var key = world.Publish(TestWorld.P1, SpringForward, TestWorld.Template(30, 1, "01:00-04:00"));
            var booking = world.MustBook(key, 4, 1, 0);
            world.Time.SetUtcNow(Utc(SpringForward.AddDays(-1), 23, minute));
            var status = world.Engine.TryCancel(booking, CancelActor.Patient).Status;
            Assert.Equal(cancelled ? ClaimStatus.Succeeded : ClaimStatus.CancelTooLate, status);
        }
    }

    private static void AssertStrictlyIncreasing(CalendarSnapshot snapshot)
    {
        for (var slot = 1; slot < snapshot.SlotCount; slot++)
        {
            Assert.True(snapshot.StartOf(slot) > snapshot.StartOf(slot - 1), $"slot {slot} starts at {snapshot.StartOf(slot):O}, not after slot {slot - 1} at {snapshot.StartOf(slot - 1):O}");
        }
    }
}
