namespace SlotEngine;

/// <summary>Where a wish waits: one clinic, or every clinic of a branch in a city.</summary>
/// <param name="Clinic">The clinic, or <see langword="null"/> for a city and branch.</param>
/// <param name="City">The city when <paramref name="Clinic"/> is null.</param>
/// <param name="Branch">The branch when <paramref name="Clinic"/> is null.</param>
public readonly record struct WaitlistScope(ClinicId? Clinic, CityCode City, BranchId Branch)
{
    /// <summary>A wish for one clinic.</summary>
    /// <param name="clinic">The clinic.</param>
    /// <returns>The scope.</returns>
    public static WaitlistScope ForClinic(ClinicId clinic) => new(clinic, default, default);

    /// <summary>A wish for any clinic of a branch in a city.</summary>
    /// <param name="city">The city.</param>
    /// <param name="branch">The branch.</param>
    /// <returns>The scope.</returns>
    public static WaitlistScope ForCityBranch(CityCode city, BranchId branch) => new(null, city, branch);

    /// <summary>Whether this is a clinic scope.</summary>
    public bool IsClinic => Clinic.HasValue;

    /// <inheritdoc />
    public override string ToString() => Clinic is { } clinic ? $"clinic {clinic.Value}" : $"city {City.Value} branch {Branch.Value}";
}
