using SlotEngine.LoadTest.Run;
using SlotEngine.LoadTest.Scenario;
using static SlotEngine.LoadTest.Tests.TwoProviderDay;

namespace SlotEngine.LoadTest.Tests;

public class InvariantCheckerTests
{
    private static Task<InvariantReport> Check(InMemorySlotEngine engine, params LedgerEntry[] ledger) =>
        InvariantChecker.CheckAsync(engine, ledger, QuotaPolicy.Mhrs, (Tomorrow, Tomorrow));

    [Fact]
    public async Task A_ledger_that_matches_the_engine_passes()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var a = Book(engine, 0, 3, Ayse);
        var b = Book(engine, 1, 3, Mehmet);
        var report = await Check(engine, new(a, LedgerState.Booked), new(b, LedgerState.Booked));
        Assert.Equal(0, report.DoubleBookings);
        Assert.Equal(0, report.Violations);
        Assert.Equal(2, report.EngineBookedSeats);
        Assert.Equal(2, report.CalendarsRecounted);
    }

    [Fact]
    public async Task Two_live_bookings_of_one_seat_are_a_double_booking()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var a = Book(engine, 0, 3, Ayse);
        var report = await Check(engine, new(a, LedgerState.Booked), new(a with { Token = a.Token + 100, Patient = Mehmet }, LedgerState.Booked));
        Assert.Equal(1, report.DoubleBookings);
    }

    [Fact]
    public async Task A_booking_the_generator_never_made_is_a_violation()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var a = Book(engine, 0, 3, Ayse);
        Book(engine, 0, 4, Mehmet);
        var report = await Check(engine, new LedgerEntry(a, LedgerState.Booked));
        Assert.Equal(1, report.Violations);
        Assert.Equal(1, report.Problems["engine_booked_seat_without_ledger_booking"]);
    }

    [Fact]
    public async Task A_ledger_booking_the_engine_lost_is_a_violation()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var a = Book(engine, 0, 3, Ayse);
        Assert.True(engine.TryRelease(a).Succeeded);
        var report = await Check(engine, new LedgerEntry(a, LedgerState.Booked));
        Assert.Equal(1, report.Problems["ledger_booking_missing_in_engine"]);
    }

    [Fact]
    public async Task A_cancelled_booking_is_not_expected_in_the_engine()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var a = Book(engine, 0, 3, Ayse);
        Assert.True(engine.TryCancel(a, CancelActor.Patient).Succeeded);
        var report = await Check(engine, new LedgerEntry(a, LedgerState.Cancelled));
        Assert.Equal(0, report.Violations);
    }

    [Fact]
    public async Task More_bookings_than_the_quota_allows_are_a_violation()
    {
        // An engine with no quotas lets Ayse book twice in one clinic on one day; MHRS allows one.
        var engine = NewEngine(QuotaPolicy.None);
        var a = Book(engine, 0, 3, Ayse);
        var b = Book(engine, 1, 5, Ayse);
        var report = await Check(engine, new(a, LedgerState.Booked), new(b, LedgerState.Booked));
        Assert.Equal(1, report.Problems["quota_exceeded_clinic"]);
    }

    [Fact]
    public async Task A_hold_left_to_expire_is_known_and_an_unknown_hold_is_not()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var booking = Book(engine, 0, 3, Mehmet);
        var hold = engine.TryClaim(ClaimRequest.Hold(new CalendarKey(new ProviderId(0), Tomorrow), SlotRange.Single(7), Ayse, TimeSpan.FromMinutes(5))).Reservation;
        Assert.Equal(0, (await Check(engine, new(booking, LedgerState.Booked), new(hold, LedgerState.WalkedAway))).Violations);
        Assert.Equal(1, (await Check(engine, new LedgerEntry(booking, LedgerState.Booked))).Problems["engine_held_seat_without_ledger_hold"]);
    }

    [Fact]
    public async Task An_untouched_calendar_must_be_wholly_free()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        Book(engine, 1, 3, Mehmet);
        var report = await Check(engine);
        Assert.Equal(1, report.Problems["untouched_calendar_not_free"]);
        Assert.Equal(2, report.CalendarsCheckedFree);
    }

    [Fact]
    public async Task With_other_load_processes_their_seats_are_counted_apart_and_a_seat_taken_from_ours_is_still_a_violation()
    {
        var engine = NewEngine(QuotaPolicy.Mhrs);
        var fatma = new PatientKey(33);
        LedgerEntry[] ours = [new(Book(engine, 0, 3, Ayse), LedgerState.Booked), new(Book(engine, 1, 5, fatma), LedgerState.Booked)];
        Book(engine, 1, 3, Mehmet); // another process's citizen, on a calendar ours touched

        var alone = await InvariantChecker.CheckAsync(engine, ours, QuotaPolicy.Mhrs, null);
        Assert.Equal(1, alone.Violations); // one process: a booking nobody made
        Assert.Contains("engine_booked_seat_without_ledger_booking", alone.Problems.Keys);

        var shared = await InvariantChecker.CheckAsync(engine, ours, QuotaPolicy.Mhrs, null, othersBook: true);
        Assert.Equal(0, shared.Violations);
        Assert.Equal(1, shared.OtherNodesSeats);
        Assert.Equal(2, shared.EngineBookedSeats);

        // Our ledger says Fatma also booked provider 1's slot 3, which the engine shows as Mehmet's: a double booking across processes.
        var stolen = ours[1].Reservation with { Slots = SlotRange.Single(3) };
        var crossed = await InvariantChecker.CheckAsync(engine, [.. ours, new(stolen, LedgerState.Booked)], QuotaPolicy.Mhrs, null, othersBook: true);
        Assert.Contains("ledger_booking_missing_in_engine", crossed.Problems.Keys);
    }
}
