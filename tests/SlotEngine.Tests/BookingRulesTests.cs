using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>The booking rules in one place: the engine answers as its <see cref="BookingRules"/> say, and the window's bounds as instants agree with it by days.</summary>
public class BookingRulesTests
{
    [Fact]
    public void The_window_as_instants_agrees_with_the_window_by_days_at_every_hour_around_its_edges()
    {
        var rules = new BookingRules(new SlotEngineOptions { EarliestBookableDayOffset = 1, BookingHorizonDays = 15 });
        var day = new DateOnly(2026, 11, 30);
        var (open, close) = rules.BookingWindowOf(day);

        for (var now = new DateTimeOffset(2026, 11, 13, 0, 0, 0, TimeSpan.Zero); now < new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero); now = now.AddMinutes(30))
        {
            var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, rules.TimeZone).DateTime);
            var byInstants = now.UtcTicks >= open && now.UtcTicks < close;
            Assert.True(byInstants == rules.IsInBookingWindow(day, today), $"{now:O}: by instants {byInstants}, by days {!byInstants}");
        }
    }

    [Fact]
    public void Time_rules_give_window_then_past_then_success()
    {
        var rules = new BookingRules(new SlotEngineOptions());
        var today = new DateOnly(2026, 11, 22);
        var start = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.FromHours(3)).UtcTicks;

        Assert.Equal(ClaimStatus.OutsideBookingWindow, rules.CheckTime(today, today, start, start - 1));
        Assert.Equal(ClaimStatus.InPast, rules.CheckTime(today.AddDays(1), today, start, start));
        Assert.Equal(ClaimStatus.Succeeded, rules.CheckTime(today.AddDays(1), today, start, start - 1));
        Assert.Equal(start - TimeSpan.FromMinutes(80).Ticks, rules.CancelDeadlineUtcTicks(start));
    }

    [Fact]
    public void The_engine_uses_its_rules_for_the_hold_limit_and_the_cancel_cutoff()
    {
        var world = new TestWorld(o => { o.MaxHoldDuration = TimeSpan.FromMinutes(3); o.PatientCancelCutoff = TimeSpan.FromHours(1); });
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var rules = world.Engine.Rules;

        Assert.Equal(TimeSpan.FromMinutes(3), rules.MaxHoldDuration);
        var request = ClaimRequest.Hold(calendar, SlotRange.Single(0), world.Patient(1), TimeSpan.FromMinutes(4));
        var fromRules = Assert.Throws<SlotEngineArgumentException>(() => rules.ValidateClaim(request));
        var fromEngine = Assert.Throws<SlotEngineArgumentException>(() => world.Engine.TryClaim(request));
        Assert.Equal(SlotEngineError.InvalidHoldDuration, fromEngine.Code);
        Assert.Equal(fromRules.Message, fromEngine.Message);

        // Two bookings tomorrow (slots 0 and 1); the clock only moves forward, so the later deadline is tried last.
        var first = world.Engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(0), world.Patient(1))).Reservation;
        var second = world.Engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(1), world.Patient(2))).Reservation;
        var snapshot = world.Engine.GetCalendar(calendar);
        var firstDeadline = new DateTimeOffset(rules.CancelDeadlineUtcTicks(snapshot.StartOf(0).UtcTicks), TimeSpan.Zero);
        var secondDeadline = new DateTimeOffset(rules.CancelDeadlineUtcTicks(snapshot.StartOf(1).UtcTicks), TimeSpan.Zero);
        world.Time.SetUtcNow(firstDeadline); // exactly at the deadline: still allowed
        Assert.True(world.Engine.TryCancel(first, CancelActor.Patient).Succeeded);
        world.Time.SetUtcNow(secondDeadline.AddTicks(1)); // one tick past it: too late
        Assert.Equal(ClaimStatus.CancelTooLate, world.Engine.TryCancel(second, CancelActor.Patient).Status);
    }

    [Fact]
    public void Range_and_seat_checks_name_the_calendar_and_the_bad_value()
    {
        var key = new CalendarKey(new ProviderId(1), new DateOnly(2026, 11, 23));
        var template = TestWorld.Template(10, 2, "08:00-12:00", "13:00-17:00");

        Assert.Equal(SlotEngineError.SlotOutOfRange, Assert.Throws<SlotEngineArgumentException>(() => BookingRules.ValidateRange(key, template, SlotRange.Single(-1), false)).Code);
        Assert.Equal(SlotEngineError.InvalidLength, Assert.Throws<SlotEngineArgumentException>(() => BookingRules.ValidateRange(key, template, new SlotRange(47, 2), false)).Code);
        Assert.Equal(SlotEngineError.CrossesSession, Assert.Throws<SlotEngineArgumentException>(() => BookingRules.ValidateRange(key, template, new SlotRange(23, 2), true)).Code);
        BookingRules.ValidateRange(key, template, new SlotRange(23, 2), false); // a block may span the break
        Assert.Equal(SlotEngineError.SeatOutOfRange, Assert.Throws<SlotEngineArgumentException>(() => BookingRules.ValidateSeat(key, template, 2)).Code);
    }
}
