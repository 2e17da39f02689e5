namespace SlotEngine;

/// <summary>A registered clinic and its providers (an immutable array, replaced on registration).</summary>
internal sealed class ClinicEntry(ClinicId id, FacilityId facility, BranchId branch, CityCode city)
{
    private ProviderEntry[] _entries = [];

    public ClinicId Id { get; } = id;

    public FacilityId Facility { get; } = facility;

    public BranchId Branch { get; } = branch;

    public CityCode City { get; } = city;

    /// <summary>The providers, in registration order; a snapshot read lock-free by searches.</summary>
    public ProviderEntry[] Entries => Volatile.Read(ref _entries);

    /// <summary>Called under the directory's write lock only.</summary>
    public void AddProvider(ProviderEntry provider) => Volatile.Write(ref _entries, [.. _entries, provider]);
}
