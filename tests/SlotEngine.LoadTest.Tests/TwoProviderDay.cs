using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The after-run checks' small world: two providers of one clinic with tomorrow published, two patients, on the scenario clock.</summary>
internal static class TwoProviderDay
{
    public static readonly DateTimeOffset Now = new(2025, 3, 3, 10, 0, 0, TimeSpan.FromHours(3));
    public static readonly DateOnly Tomorrow = new(2025, 3, 4);
    public static readonly PatientKey Ayse = new(11);
    public static readonly PatientKey Mehmet = new(22);

    /// <summary>The engine, with <paramref name="quotas"/> or the options' default (MHRS).</summary>
    public static InMemorySlotEngine NewEngine(QuotaPolicy? quotas = null, bool audit = false)
    {
        var engine = new InMemorySlotEngine(new SlotEngineOptions { TimeProvider = new ScenarioClock(Now), Quotas = quotas ?? QuotaPolicy.Mhrs, Audit = audit });
        engine.Directory.AddFacility(new FacilityId(1), new CityCode(34));
        engine.Directory.AddClinic(new ClinicId(1), new FacilityId(1), new BranchId(8));
        engine.Directory.AddProvider(new ProviderId(0), new ClinicId(1));
        engine.Directory.AddProvider(new ProviderId(1), new ClinicId(1));
        engine.Publish(new ProviderId(0), Tomorrow, DayTemplate.Standard);
        engine.Publish(new ProviderId(1), Tomorrow, DayTemplate.Standard);
        return engine;
    }

    /// <summary>A five-minute hold on tomorrow's <paramref name="slot"/>, confirmed.</summary>
    public static Reservation Book(InMemorySlotEngine engine, int provider, int slot, PatientKey patient)
    {
        var hold = engine.TryClaim(ClaimRequest.Hold(new CalendarKey(new ProviderId(provider), Tomorrow), SlotRange.Single(slot), patient, TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded, hold.ToString());
        var booking = engine.TryConfirm(hold.Reservation);
        Assert.True(booking.Succeeded, booking.ToString());
        return booking.Reservation;
    }
}
