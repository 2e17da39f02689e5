namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// The directory every contract test registers: facility 1 (İstanbul) with clinics 10 (providers 100,
/// 101), 11 (provider 110) and 12 (provider 120); facility 2 (Ankara) with clinic 20 (provider 200).
/// Days are picked relative to today in Europe/Istanbul by the real clock, inside the default booking
/// window, so that no test depends on time moving.
/// </summary>
internal static class ContractWorld
{
    public static readonly ProviderId Doctor = new(100);
    public static readonly ProviderId SameClinic = new(101);
    public static readonly ProviderId OtherClinic = new(110);
    public static readonly ProviderId ThirdClinic = new(120);
    public static readonly ProviderId OtherFacility = new(200);
    public static readonly ClinicId Clinic = new(10);

    public static readonly TimeZoneInfo Istanbul = TimeZoneInfo.FindSystemTimeZoneById("Europe/Istanbul");

    /// <summary>08:00–12:00 and 13:00–17:00 in 10-minute slots: 48 slots, slot 24 starts the afternoon.</summary>
    public static DayTemplate Standard => DayTemplate.Standard;

    public static DayTemplate Capacity2 { get; } = new([new Session(new TimeOnly(9, 0), new TimeOnly(10, 0))], TimeSpan.FromMinutes(10), capacity: 2);

    /// <summary>A whole day of 5-minute slots (00:00–23:55), for "in the past" on today.</summary>
    public static DayTemplate AllDay { get; } = new([new Session(new TimeOnly(0, 0), new TimeOnly(23, 55))], TimeSpan.FromMinutes(5));

    public static DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Istanbul).DateTime);

    /// <summary>A bookable day (the default window is today+1 .. today+15).</summary>
    public static DateOnly Day => Today.AddDays(3);

    public static PatientKey Patient(int n) => new((ulong)(0x5EED_0000 + n));

    public static void Register(SlotDirectory directory)
    {
        directory.AddFacility(new FacilityId(1), new CityCode(34));
        directory.AddFacility(new FacilityId(2), new CityCode(6));
        directory.AddClinic(new ClinicId(10), new FacilityId(1), new BranchId(1));
        directory.AddClinic(new ClinicId(11), new FacilityId(1), new BranchId(2));
        directory.AddClinic(new ClinicId(12), new FacilityId(1), new BranchId(3));
        directory.AddClinic(new ClinicId(20), new FacilityId(2), new BranchId(1));
        directory.AddProvider(Doctor, new ClinicId(10));
        directory.AddProvider(SameClinic, new ClinicId(10));
        directory.AddProvider(OtherClinic, new ClinicId(11));
        directory.AddProvider(ThirdClinic, new ClinicId(12));
        directory.AddProvider(OtherFacility, new ClinicId(20));
    }
}
