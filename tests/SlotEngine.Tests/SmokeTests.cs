namespace SlotEngine.Tests;

public class SmokeTests
{
    [Fact]
    public void Hold_confirm_release_roundtrip()
    {
        var time = new FakeTime(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3)));
        var engine = new InMemorySlotEngine(new SlotEngineOptions { TimeProvider = time });
        engine.Directory.AddFacility(new FacilityId(1), new CityCode(34));
        engine.Directory.AddClinic(new ClinicId(10), new FacilityId(1), new BranchId(5));
        engine.Directory.AddProvider(new ProviderId(7), new ClinicId(10));
        var day = new DateOnly(2026, 11, 23);
        engine.Publish(new ProviderId(7), day, DayTemplate.Standard);
        var patient = engine.PatientOf(NationalId.FromFirstNineDigits(123456789));
        var key = new CalendarKey(new ProviderId(7), day);
        var hold = engine.TryClaim(ClaimRequest.Hold(key, new SlotRange(62 % 48, 3), patient, TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded, hold.ToString());
        var other = engine.PatientOf(NationalId.FromFirstNineDigits(223456789));
        Assert.Equal(ClaimStatus.Taken, engine.TryClaim(ClaimRequest.Book(key, new SlotRange(15, 1), other)).Status);
        Assert.Equal(ClaimStatus.QuotaExceeded, engine.TryClaim(ClaimRequest.Book(key, new SlotRange(20, 1), patient)).Status);
        var booked = engine.TryConfirm(hold.Reservation);
        Assert.True(booked.Succeeded);
        Assert.Equal(SlotStatus.Booked, engine.GetCalendar(key)[15].Status);
        var query = EarliestQuery.ForClinic(new ClinicId(10), day, day, 2, 3);
        Assert.Single(engine.FindEarliest(query));
        var earliest = engine.FindEarliest(EarliestQuery.ForProviders([new ProviderId(7)], day, day, 2, 3).WithStartsPerCalendar(3));
        Assert.Equal(new[] { 0, 1, 2 }, earliest.Select(e => e.Slots.First));
        Assert.True(engine.TryRelease(booked.Reservation).Succeeded);
        Assert.Equal(ClaimStatus.Stale, engine.TryRelease(booked.Reservation).Status);
        Assert.Equal(48, engine.GetCalendar(key).FreeSeatCount);
    }
}
