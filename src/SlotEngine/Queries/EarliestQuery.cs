namespace SlotEngine;

/// <summary>
/// Asks for the earliest free starts for an appointment of <see cref="Length"/> consecutive slots,
/// across a clinic, a city and branch, or a set of providers, over a range of local days.
/// Results come in order of start time, then provider id; at most one start per calendar unless
/// <see cref="StartsPerCalendar"/> is raised.
/// </summary>
public sealed class EarliestQuery
{
    private EarliestQuery(DateOnly from, DateOnly to, int length, int count)
    {
        if (to < from)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidDateRange, $"The date range ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd}).", "to");
        }

        if (length < 1 || length > DayTemplate.MaxSlots)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidLength, $"The appointment length must be from 1 to {DayTemplate.MaxSlots} slots; it was {length}.", "length");
        }

        if (count < 1 || count > 10_000)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidCount, $"The result count must be from 1 to 10000; it was {count}.", "count");
        }

        From = from;
        To = to;
        Length = length;
        Count = count;
    }

    /// <summary>First local day searched.</summary>
    public DateOnly From { get; }

    /// <summary>Last local day searched (inclusive).</summary>
    public DateOnly To { get; }

    /// <summary>Consecutive slots needed.</summary>
    public int Length { get; }

    /// <summary>How many starts to return at most.</summary>
    public int Count { get; }

    /// <summary>How many starts one calendar may contribute. The default is 1.</summary>
    public int StartsPerCalendar { get; private init; } = 1;

    /// <summary>A copy of this query that lets each calendar contribute up to <paramref name="starts"/> starts.</summary>
    /// <param name="starts">1 or more.</param>
    /// <returns>The new query.</returns>
    public EarliestQuery WithStartsPerCalendar(int starts)
    {
        if (starts < 1)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidCount, $"Starts per calendar must be at least 1; it was {starts}.", nameof(starts));
        }

        return new EarliestQuery(From, To, Length, Count)
        {
            StartsPerCalendar = starts,
            Clinic = Clinic,
            City = City,
            Branch = Branch,
            Providers = Providers,
            Pool = Pool,
        };
    }

    /// <summary>
    /// The reserved pool the searcher may draw on (<see cref="ClaimRequest.Pool"/>): without it, starts that only a
    /// reserved seat could take are not shown until the reservation's release (<see cref="ReservedCapacity"/>).
    /// </summary>
    public string? Pool { get; private init; }

    /// <summary>The same query for a searcher who carries <paramref name="pool"/>.</summary>
    /// <param name="pool">The pool (see <see cref="ClaimRequest.Pool"/>).</param>
    /// <returns>A new query.</returns>
    /// <exception cref="SlotEngineArgumentException"><see cref="SlotEngineError.InvalidPool"/>.</exception>
    public EarliestQuery WithPool(string pool)
    {
        BookingRules.ValidatePool(pool, nameof(pool));
        return new EarliestQuery(From, To, Length, Count)
        {
            StartsPerCalendar = StartsPerCalendar,
            Clinic = Clinic,
            City = City,
            Branch = Branch,
            Providers = Providers,
            Pool = pool,
        };
    }

    /// <summary>The clinic searched, when the query is by clinic.</summary>
    public ClinicId? Clinic { get; private init; }

    /// <summary>The city searched, when the query is by city and branch.</summary>
    public CityCode? City { get; private init; }

    /// <summary>
    /// The (city, branch) group this query found last, in whichever engine's directory (<see cref="BranchGroup.Owner"/>):
    /// a search of the same engine reads it instead of looking the group up. One reference, written whole, so a query
    /// shared by several engines at once never pairs one engine with another's group; a directory never replaces or
    /// drops a group, so a remembered group stays the one its directory would find. Null until a search finds one.
    /// </summary>
    internal BranchGroup? CachedGroup;

    /// <summary>
    /// The day index this query read last (city + branch searches for single slots): a search of the same engine and day
    /// reads it instead of looking the group and the day up (<see cref="BranchDayIndex.Group"/>'s owner and
    /// <see cref="BranchDayIndex.DayNumber"/> are checked). One reference, written whole. A day's index is never replaced
    /// while the day can be searched (only days past are dropped), so a remembered index is the one the lookup would find.
    /// </summary>
    internal BranchDayIndex? CachedIndex;

    /// <summary>The branch searched, when the query is by city and branch.</summary>
    public BranchId? Branch { get; private init; }

    /// <summary>The providers searched, when the query names them.</summary>
    public IReadOnlyList<ProviderId>? Providers { get; private init; }

    /// <summary>Search one clinic.</summary>
    /// <param name="clinic">The clinic.</param>
    /// <param name="from">First day.</param>
    /// <param name="to">Last day (inclusive).</param>
    /// <param name="length">Consecutive slots needed.</param>
    /// <param name="count">How many starts to return.</param>
    /// <returns>The query.</returns>
    public static EarliestQuery ForClinic(ClinicId clinic, DateOnly from, DateOnly to, int length = 1, int count = 1) =>
        new(from, to, length, count) { Clinic = clinic };

    /// <summary>Search every clinic of a branch in a city.</summary>
    /// <param name="city">The city.</param>
    /// <param name="branch">The branch.</param>
    /// <param name="from">First day.</param>
    /// <param name="to">Last day (inclusive).</param>
    /// <param name="length">Consecutive slots needed.</param>
    /// <param name="count">How many starts to return.</param>
    /// <returns>The query.</returns>
    public static EarliestQuery ForCityBranch(CityCode city, BranchId branch, DateOnly from, DateOnly to, int length = 1, int count = 1) =>
        new(from, to, length, count) { City = city, Branch = branch };

    /// <summary>Search the given providers.</summary>
    /// <param name="providers">The providers.</param>
    /// <param name="from">First day.</param>
    /// <param name="to">Last day (inclusive).</param>
    /// <param name="length">Consecutive slots needed.</param>
    /// <param name="count">How many starts to return.</param>
    /// <returns>The query.</returns>
    public static EarliestQuery ForProviders(IEnumerable<ProviderId> providers, DateOnly from, DateOnly to, int length = 1, int count = 1)
    {
        ArgumentNullException.ThrowIfNull(providers);
        return new(from, to, length, count) { Providers = providers.ToArray() };
    }
}
