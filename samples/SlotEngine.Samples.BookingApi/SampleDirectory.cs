namespace SlotEngine.Samples.BookingApi;

/// <summary>
/// The sample's small directory: two cities, three hospitals, four clinics, six doctors, every
/// doctor working the standard MHRS day (08:00–12:00 and 13:00–17:00 in 10-minute slots).
/// </summary>
internal static class SampleDirectory
{
    /// <summary>How many days are published, from today on.</summary>
    public const int PublishedDays = 7;

    public static readonly CityCode Istanbul = new(34);
    public static readonly CityCode Ankara = new(6);
    public static readonly BranchId Cardiology = new(1);
    public static readonly BranchId Dermatology = new(2);

    public static readonly IReadOnlyList<Facility> Facilities =
    [
        new(new FacilityId(3401), "İstanbul Eğitim ve Araştırma Hastanesi", Istanbul),
        new(new FacilityId(3402), "Kartal Dr. Lütfi Kırdar Şehir Hastanesi", Istanbul),
        new(new FacilityId(601), "Ankara Bilkent Şehir Hastanesi", Ankara),
    ];

    public static readonly IReadOnlyList<Clinic> Clinics =
    [
        new(new ClinicId(101), new FacilityId(3401), Cardiology, "Kardiyoloji"),
        new(new ClinicId(102), new FacilityId(3401), Dermatology, "Dermatoloji"),
        new(new ClinicId(103), new FacilityId(3402), Cardiology, "Kardiyoloji"),
        new(new ClinicId(201), new FacilityId(601), Cardiology, "Kardiyoloji"),
    ];

    public static readonly IReadOnlyList<Doctor> Doctors =
    [
        new(new ProviderId(1), new ClinicId(101), "Dr. Ayşe Yılmaz"),
        new(new ProviderId(2), new ClinicId(101), "Dr. Mehmet Kaya"),
        new(new ProviderId(3), new ClinicId(102), "Dr. Zeynep Demir"),
        new(new ProviderId(4), new ClinicId(103), "Dr. Ali Çelik"),
        new(new ProviderId(5), new ClinicId(201), "Dr. Elif Şahin"),
        new(new ProviderId(6), new ClinicId(201), "Dr. Mustafa Aydın"),
    ];

    /// <summary>Every doctor's working day.</summary>
    public static DayTemplate Template => DayTemplate.Standard;

    /// <summary>A doctor's name, or null for an unknown provider.</summary>
    public static string? NameOf(ProviderId provider) => Doctors.FirstOrDefault(d => d.Id == provider)?.Name;

    /// <summary>Registers the directory and publishes <see cref="PublishedDays"/> days from <paramref name="today"/>.</summary>
    public static async Task SeedAsync(ISlotEngine engine, DateOnly today, CancellationToken cancellationToken = default)
    {
        foreach (var facility in Facilities)
        {
            engine.Directory.AddFacility(facility.Id, facility.City);
        }

        foreach (var clinic in Clinics)
        {
            engine.Directory.AddClinic(clinic.Id, clinic.Facility, clinic.Branch);
        }

        foreach (var doctor in Doctors)
        {
            engine.Directory.AddProvider(doctor.Id, doctor.Clinic);
            for (var d = 0; d < PublishedDays; d++)
            {
                await engine.PublishAsync(doctor.Id, today.AddDays(d), Template, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal sealed record Facility(FacilityId Id, string Name, CityCode City);

    internal sealed record Clinic(ClinicId Id, FacilityId Facility, BranchId Branch, string BranchName);

    internal sealed record Doctor(ProviderId Id, ClinicId Clinic, string Name);
}
