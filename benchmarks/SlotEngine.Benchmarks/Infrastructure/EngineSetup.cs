namespace SlotEngine.Benchmarks.Infrastructure;

/// <summary>
/// Builds engines the way a booking API would: the system clock, Europe/Istanbul, one facility
/// and clinic, providers registered and their days published with <see cref="DayTemplate.Standard"/>.
/// </summary>
internal static class EngineSetup
{
    public static readonly FacilityId Facility = new(1);
    public static readonly ClinicId Clinic = new(10);

    /// <summary>
    /// The day the claim benchmarks use: the day after tomorrow, so that a run that crosses local
    /// midnight stays inside the booking window (tomorrow onwards) and never meets a past slot.
    /// </summary>
    public static DateOnly ClaimDay(InMemorySlotEngine engine) => engine.Today.AddDays(2);

    public static InMemorySlotEngine Create(QuotaPolicy quotas, int providers)
    {
        var engine = new InMemorySlotEngine(new SlotEngineOptions { Quotas = quotas });
        engine.Directory.AddFacility(Facility, new CityCode(34));
        engine.Directory.AddClinic(Clinic, Facility, new BranchId(7));
        for (var p = 0; p < providers; p++)
        {
            engine.Directory.AddProvider(new ProviderId(p), Clinic);
        }

        return engine;
    }

    /// <summary>The patient key of the n-th synthetic citizen (valid national IDs, made from nine digits).</summary>
    public static PatientKey Patient(InMemorySlotEngine engine, int n) =>
        engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + n));

    /// <summary>Throws unless a claim result succeeded: a benchmark must measure the path it names.</summary>
    public static Reservation Expect(ClaimResult result, string what) =>
        result.Succeeded ? result.Reservation : throw new InvalidOperationException($"{what} did not succeed: {result}.");
}
