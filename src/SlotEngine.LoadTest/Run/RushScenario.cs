using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Issue 12's rush in the nationwide scenario (see docs/load-generator.md, "Release rush, pools and admission"): the
/// last open day is released at the scenario's opening hour in ten cohorts by patient key ten seconds apart; one slot
/// in eight of every day more than two days ahead is reserved for family-doctor referrals; each citizen may make five
/// claim attempts a minute. During the rush half the arrivals go for the newly released day and press again at once
/// when it is not open for them yet, as citizens do at an opening hour. <c>--no-rush</c> turns all of it off.
/// </summary>
internal static class RushScenario
{
    /// <summary>The reserved pool's name.</summary>
    public const string Pool = "family-doctor";

    /// <summary>Share of arrivals that are family-doctor referrals (search and claim with the pool).</summary>
    public const double ReferralShare = 0.04;

    /// <summary>Share of the rush's arrivals that go for the newly released day.</summary>
    public const double NewDayShare = 0.5;

    /// <summary>How many times a citizen refused with NotYetOpen presses again before turning to the other days.</summary>
    public const int PressAgain = 6;

    /// <summary>Release cohorts.</summary>
    public const int Cohorts = 10;

    /// <summary>Between consecutive cohorts.</summary>
    public static readonly TimeSpan CohortSpacing = TimeSpan.FromSeconds(10);

    /// <summary>
    /// In memory, allocates the released day's per-day tables ahead of its rush (<see cref="InMemorySlotEngine.PrepareDay"/>),
    /// as the first day's are: the rush sends a share of all claims to it.
    /// </summary>
    /// <param name="engine">The engine.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="lastDay">The released day.</param>
    /// <param name="expectedClaims">Claims the whole run expects.</param>
    public static void Prepare(ISlotEngine engine, LoadSettings settings, DateOnly lastDay, long expectedClaims)
    {
        if (settings.Rush && engine is InMemorySlotEngine memory)
        {
            memory.PrepareDay(lastDay, settings.Template, (int)Math.Min(50_000_000, expectedClaims * settings.RushShare * NewDayShare * 1.5));
        }
    }

    /// <summary>Sets the rush policies on the engine's options (nothing when the rush is off).</summary>
    /// <param name="options">The options.</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="start">The scenario's start: the opening hour.</param>
    public static void Apply(SlotEngineOptions options, LoadSettings settings, DateTimeOffset start)
    {
        if (!settings.Rush)
        {
            return;
        }

        var local = TimeZoneInfo.ConvertTime(start, options.TimeZone);
        options.Release = ReleasePolicy.Staggered(settings.DaysOpen, local.TimeOfDay, CohortBasis.PatientKey, Cohorts, CohortSpacing);
        options.Reserved = new ReservedCapacity(Pool, seats: 1, everyNthSlot: 8, releaseBefore: TimeSpan.FromDays(2));
        options.Admission = new AdmissionRate(5, TimeSpan.FromMinutes(1));
    }
}

/// <summary>One worker's part of the rush: its draws, the refusals it saw, and the pool check. Owned by one worker.</summary>
internal sealed class RushWorker
{
    private readonly ReservedCapacity _reserved;
    private readonly TimeZoneInfo _zone;
    private readonly long _rushEndsTicks;
    private readonly Dictionary<EarliestQuery, EarliestQuery> _poolQueries = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<int, long> _releases = [];

    public RushWorker(SlotEngineOptions options, long rushEndsTicks)
    {
        _reserved = options.Reserved;
        _zone = options.TimeZone;
        _rushEndsTicks = rushEndsTicks;
    }

    /// <summary>Claims refused with <see cref="ClaimStatus.NotYetOpen"/>.</summary>
    public long RefusedNotOpen { get; private set; }

    /// <summary>Claims refused with <see cref="ClaimStatus.RateLimited"/>.</summary>
    public long RefusedRate { get; private set; }

    /// <summary>Claims refused with <see cref="ClaimStatus.ReservedForPool"/> (a search hint lost to a race).</summary>
    public long RefusedReserved { get; private set; }

    /// <summary>Successful claims that carried the pool.</summary>
    public long PoolClaims { get; private set; }

    /// <summary>Successful claims without the pool on a reserved seat before its release (must stay 0).</summary>
    public long PoolViolations { get; private set; }

    /// <summary>Draws a citizen's part: the pool (referrals) or null; during the rush, some go for the new day only.</summary>
    public string? Draw(ref FastRandom random, long nowTicks, DateOnly lastDay, ref DateOnly from, ref DateOnly to)
    {
        if (nowTicks < _rushEndsTicks && random.Chance(RushScenario.NewDayShare))
        {
            from = lastDay;
            to = lastDay;
        }

        return random.Chance(RushScenario.ReferralShare) ? RushScenario.Pool : null;
    }

    /// <summary>The query a referral searches with (made once per query).</summary>
    public EarliestQuery QueryFor(EarliestQuery query, string? pool)
    {
        if (pool is null)
        {
            return query;
        }

        if (!_poolQueries.TryGetValue(query, out var pooled))
        {
            pooled = query.WithPool(pool);
            _poolQueries.Add(query, pooled);
        }

        return pooled;
    }

    /// <summary>
    /// Handles a rush refusal: true when the citizen searches again (the caller continues its loop), false when it
    /// gives up; null when the status is not one of the rush's.
    /// </summary>
    public bool? Refused(ClaimStatus status, ref int pressed, DateOnly firstDay, DateOnly lastDay, ref DateOnly from, ref DateOnly to)
    {
        switch (status)
        {
            case ClaimStatus.NotYetOpen:
                RefusedNotOpen++;
                if (++pressed >= RushScenario.PressAgain)
                {
                    // Gives up on the new day: the other open days.
                    from = from == lastDay ? firstDay : from;
                    to = lastDay.AddDays(-1);
                }

                return true;
            case ClaimStatus.RateLimited:
                RefusedRate++;
                return false;
            case ClaimStatus.ReservedForPool:
                RefusedReserved++;
                return true;
            default:
                return null;
        }
    }

    /// <summary>
    /// Checks a successful claim that had returned by <paramref name="claimEndTicks"/>: a claim without the pool on a
    /// reserved seat that returned before the release was judged before it, a violation.
    /// </summary>
    public void Claimed(in ClaimRequest request, in Reservation reservation, long claimEndTicks, int capacity)
    {
        if (request.Pool is not null)
        {
            PoolClaims++;
            return;
        }

        if (!_reserved.IsEnabled || !_reserved.Touches(reservation.Slots) || reservation.Seat < capacity - Math.Min(_reserved.Seats, capacity))
        {
            return;
        }

        var day = reservation.Calendar.Day.DayNumber;
        if (!_releases.TryGetValue(day, out var release))
        {
            release = _reserved.ReleaseUtcTicks(reservation.Calendar.Day, _zone);
            _releases.Add(day, release);
        }

        // The claim was judged before the release: it must not have had a reserved seat.
        if (claimEndTicks < release)
        {
            PoolViolations++;
        }
    }
}

/// <summary>The rush's totals over the workers.</summary>
internal sealed record RushTotals(bool Enabled, long RefusedNotOpen, long RefusedRate, long RefusedReserved, long PoolClaims, long PoolViolations)
{
    public static readonly RushTotals Off = new(false, 0, 0, 0, 0, 0);

    public static RushTotals Of(IEnumerable<RushWorker?> workers)
    {
        var list = workers.OfType<RushWorker>().ToList();
        return list.Count == 0
            ? Off
            : new RushTotals(true, list.Sum(w => w.RefusedNotOpen), list.Sum(w => w.RefusedRate), list.Sum(w => w.RefusedReserved), list.Sum(w => w.PoolClaims), list.Sum(w => w.PoolViolations));
    }
}
