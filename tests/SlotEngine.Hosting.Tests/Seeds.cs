namespace SlotEngine.Hosting.Tests;

/// <summary>A small directory for engine-level tests: one facility, one clinic, two providers.</summary>
internal static class Seeds
{
    public static readonly ClinicId Clinic = new(1);
    public static readonly ProviderId Doctor = new(1);
    public static readonly ProviderId OtherDoctor = new(2);

    /// <summary>10:00 in Istanbul on 3 June 2030 (07:00 UTC).</summary>
    public static DateTimeOffset Morning => new(2030, 6, 3, 10, 0, 0, TimeSpan.FromHours(3));

    public static DateOnly Tomorrow => new(2030, 6, 4);

    public static async Task SeedAsync(ISlotEngine engine)
    {
        engine.Directory.AddFacility(new FacilityId(601), new CityCode(6));
        engine.Directory.AddClinic(Clinic, new FacilityId(601), new BranchId(1));
        engine.Directory.AddProvider(Doctor, Clinic);
        engine.Directory.AddProvider(OtherDoctor, Clinic);
        await engine.PublishAsync(Doctor, Tomorrow, DayTemplate.Standard);
        await engine.PublishAsync(OtherDoctor, Tomorrow, DayTemplate.Standard);
    }

    /// <summary>A valid national ID, different for each number.</summary>
    public static NationalId Citizen(int n) => NationalId.FromFirstNineDigits(123_456_000 + n);
}
