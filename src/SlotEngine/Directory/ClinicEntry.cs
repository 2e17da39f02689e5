namespace SlotEngine;

/// <summary>A registered clinic and its providers (an immutable array, replaced on registration).</summary>
internal sealed class ClinicEntry(ClinicId id, FacilityId facility, BranchId branch, CityCode city)
{
    private ProviderId[] _providers = [];

    public ClinicId Id { get; } = id;

    public FacilityId Facility { get; } = facility;

    public BranchId Branch { get; } = branch;

    public CityCode City { get; } = city;

    /// <summary>The providers; a snapshot read lock-free.</summary>
    public ProviderId[] Providers => Volatile.Read(ref _providers);

    /// <summary>Called under the directory's write lock only.</summary>
    public void AddProvider(ProviderId provider) => Volatile.Write(ref _providers, [.. _providers, provider]);
}
