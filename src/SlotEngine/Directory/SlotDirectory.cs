using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// The facilities (in cities), clinics (a branch at a facility) and providers (in a clinic) an
/// engine knows. Registration is rare and takes a lock; every lookup on the claim and query paths
/// is lock-free (immutable arrays published with <see cref="Volatile"/>).
/// </summary>
public sealed class SlotDirectory
{
    private readonly Lock _writeLock = new();
    private readonly int _openDaysPerProvider;
    private readonly ConcurrentDictionary<FacilityId, CityCode> _facilities = new();
    private readonly ConcurrentDictionary<ClinicId, ClinicEntry> _clinics = new();
    private readonly ConcurrentDictionary<(CityCode City, BranchId Branch), BranchGroup> _groups = new();
    private ProviderEntry?[] _providers = new ProviderEntry?[1024];

    /// <summary>
    /// Each registered provider's quota scope ids by provider id: its clinic's id in the low 32 bits, its facility's in
    /// the high 32 (fixed at registration). A claim reads its quota keys from here with one load that depends only on
    /// the request's provider id, not on the calendar, its provider entry and the clinic entry behind them. Grown and
    /// written with <see cref="_providers"/> under the write lock, written before the entry is (release writes), so a
    /// reader that has the provider's entry or a calendar of it reads its ids.
    /// </summary>
    private long[] _scopeIds = new long[1024];

    internal SlotDirectory(int openDaysPerProvider) => _openDaysPerProvider = openDaysPerProvider;

    /// <summary>How many providers are registered.</summary>
    public int ProviderCount { get; private set; }

    /// <summary>Registers a facility. Registering it again in the same city does nothing.</summary>
    /// <param name="facility">The facility.</param>
    /// <param name="city">Its city.</param>
    /// <exception cref="SlotEngineArgumentException">It is already registered in another city.</exception>
    public void AddFacility(FacilityId facility, CityCode city)
    {
        if (city.Value == 0)
        {
            throw new SlotEngineArgumentException(SlotEngineError.RegistrationConflict, "The city is the default value; use a plate code from 1 to 81.", nameof(city));
        }

        var existing = _facilities.GetOrAdd(facility, city);
        if (existing != city)
        {
            throw new SlotEngineArgumentException(SlotEngineError.RegistrationConflict, $"{facility} is already registered in {existing}.", nameof(facility));
        }
    }

    /// <summary>Registers a clinic: a branch at a facility. Registering it again the same way does nothing.</summary>
    /// <param name="clinic">The clinic.</param>
    /// <param name="facility">A registered facility.</param>
    /// <param name="branch">The branch.</param>
    /// <exception cref="SlotEngineArgumentException">The facility is unknown, or the clinic is registered differently.</exception>
    public void AddClinic(ClinicId clinic, FacilityId facility, BranchId branch)
    {
        if (!_facilities.TryGetValue(facility, out var city))
        {
            throw new SlotEngineArgumentException(SlotEngineError.UnknownFacility, $"{facility} is not registered.", nameof(facility));
        }

        lock (_writeLock)
        {
            if (_clinics.TryGetValue(clinic, out var existing))
            {
                if (existing.Facility != facility || existing.Branch != branch)
                {
                    throw new SlotEngineArgumentException(SlotEngineError.RegistrationConflict, $"{clinic} is already registered as {existing.Branch} at {existing.Facility}.", nameof(clinic));
                }

                return;
            }

            var entry = new ClinicEntry(clinic, facility, branch, city);
            _clinics[clinic] = entry;
        }
    }

    /// <summary>Registers a provider in a clinic. Registering it again in the same clinic does nothing.</summary>
    /// <param name="provider">The provider, 0 to <see cref="ProviderId.MaxValue"/>.</param>
    /// <param name="clinic">A registered clinic.</param>
    /// <exception cref="SlotEngineArgumentException">The clinic is unknown, the id is out of range, or the provider is in another clinic.</exception>
    public void AddProvider(ProviderId provider, ClinicId clinic)
    {
        if (provider.Value < 0 || provider.Value > ProviderId.MaxValue)
        {
            throw new SlotEngineArgumentException(SlotEngineError.UnknownProvider, $"Provider ids must be from 0 to {ProviderId.MaxValue}; got {provider.Value}.", nameof(provider));
        }

        if (!_clinics.TryGetValue(clinic, out var clinicEntry))
        {
            throw new SlotEngineArgumentException(SlotEngineError.UnknownClinic, $"{clinic} is not registered.", nameof(clinic));
        }

        lock (_writeLock)
        {
            var providers = _providers;
            if (provider.Value >= providers.Length)
            {
                var size = providers.Length;
                while (size <= provider.Value)
                {
                    size *= 2;
                }

                Array.Resize(ref providers, size);
                var scopes = _scopeIds;
                Array.Resize(ref scopes, size);
                Volatile.Write(ref _scopeIds, scopes);
            }

            if (providers[provider.Value] is { } existing)
            {
                if (existing.Clinic.Id != clinic)
                {
                    throw new SlotEngineArgumentException(SlotEngineError.RegistrationConflict, $"{provider} is already registered in {existing.Clinic.Id}.", nameof(provider));
                }

                return;
            }

            var group = _groups.GetOrAdd((clinicEntry.City, clinicEntry.Branch), static (_, self) => new BranchGroup(self._openDaysPerProvider, self), this);
            var entry = new ProviderEntry(provider, clinicEntry, group, _openDaysPerProvider);
            entry.GroupMember = group.Add(entry);
            Volatile.Write(ref _scopeIds[provider.Value], unchecked((uint)clinic.Value | ((long)clinicEntry.Facility.Value << 32)));
            providers[provider.Value] = entry;
            clinicEntry.AddProvider(entry);
            Volatile.Write(ref _providers, providers);
            ProviderCount++;
        }
    }

    /// <summary>The city of a facility.</summary>
    /// <param name="facility">The facility.</param>
    /// <returns>Its city.</returns>
    /// <exception cref="SlotEngineArgumentException">The facility is unknown.</exception>
    public CityCode CityOf(FacilityId facility) => _facilities.TryGetValue(facility, out var city)
        ? city
        : throw new SlotEngineArgumentException(SlotEngineError.UnknownFacility, $"{facility} is not registered.", nameof(facility));

    /// <summary>The clinic of a provider.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>Its clinic.</returns>
    /// <exception cref="SlotEngineArgumentException">The provider is unknown.</exception>
    public ClinicId ClinicOf(ProviderId provider) => GetProvider(provider).Clinic.Id;

    /// <summary>The facility of a clinic.</summary>
    /// <param name="clinic">The clinic.</param>
    /// <returns>Its facility.</returns>
    /// <exception cref="SlotEngineArgumentException">The clinic is unknown.</exception>
    public FacilityId FacilityOf(ClinicId clinic) => GetClinic(clinic).Facility;

    /// <summary>The providers of a clinic.</summary>
    /// <param name="clinic">The clinic.</param>
    /// <returns>Its providers, in registration order.</returns>
    /// <exception cref="SlotEngineArgumentException">The clinic is unknown.</exception>
    public IReadOnlyList<ProviderId> ProvidersOf(ClinicId clinic) => Array.ConvertAll(GetClinic(clinic).Entries, static p => p.Id);

    /// <summary>Whether a provider is registered.</summary>
    /// <param name="provider">The provider.</param>
    /// <returns>Whether it is known.</returns>
    public bool Contains(ProviderId provider) => TryGetProvider(provider, out _);

    internal bool TryGetProvider(ProviderId provider, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProviderEntry? entry)
    {
        var providers = Volatile.Read(ref _providers);
        entry = provider.Value >= 0 && provider.Value < providers.Length ? Volatile.Read(ref providers[provider.Value]) : null;
        return entry is not null;
    }

    /// <summary>A registered provider's clinic id (low 32 bits) and facility id (high 32 bits); see <see cref="_scopeIds"/>.</summary>
    internal long ScopeIdsOf(ProviderId provider) => Volatile.Read(ref _scopeIds)[provider.Value];

    internal ProviderEntry GetProvider(ProviderId provider) => TryGetProvider(provider, out var entry)
        ? entry
        : ThrowUnknownProvider(provider);

    // Cold: the message is built apart from the claim's hot path, which inlines GetProvider (see BookingRules.ValidateRange).
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static ProviderEntry ThrowUnknownProvider(ProviderId provider) =>
        throw new SlotEngineArgumentException(SlotEngineError.UnknownProvider, $"{provider} is not registered.", nameof(provider));

    internal ClinicEntry GetClinic(ClinicId clinic) => _clinics.TryGetValue(clinic, out var entry)
        ? entry
        : throw new SlotEngineArgumentException(SlotEngineError.UnknownClinic, $"{clinic} is not registered.", nameof(clinic));

    /// <summary>Every provider of a branch in a city, in registration order (an array kept per group, no copy per search).</summary>
    internal ProviderEntry[] ProvidersIn(CityCode city, BranchId branch) =>
        _groups.TryGetValue((city, branch), out var group) ? group.Members : [];

    internal BranchGroup? GroupOf(CityCode city, BranchId branch) =>
        _groups.TryGetValue((city, branch), out var group) ? group : null;

    internal IEnumerable<BranchGroup> Groups => _groups.Values;

    internal IEnumerable<ProviderEntry> AllProviders()
    {
        var providers = Volatile.Read(ref _providers);
        foreach (var p in providers)
        {
            if (p is not null)
            {
                yield return p;
            }
        }
    }
}
