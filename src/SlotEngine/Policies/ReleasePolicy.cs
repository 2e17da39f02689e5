namespace SlotEngine;

/// <summary>How a <see cref="ReleasePolicy"/> splits patients into cohorts.</summary>
public enum CohortBasis
{
    /// <summary>One cohort: every patient opens at the same time.</summary>
    None = 0,

    /// <summary>By the patient key (itself a keyed hash of the national ID), spread evenly over the cohorts.</summary>
    PatientKey,

    /// <summary>
    /// By the last digit of the birth year the caller supplies (<see cref="ClaimRequest.BirthYear"/>): digits 0–9 are
    /// spread in order over the cohorts (digit × cohorts / 10). A claim without a birth year falls in the last cohort.
    /// </summary>
    BirthYear,
}

/// <summary>
/// Scheduled, staggered release, as data: day <c>D</c> opens for claims at local midnight of <c>D − DaysBefore</c>
/// plus <see cref="LocalTime"/> (e.g. D−15 at 10:00, in the engine's <see cref="SlotEngineOptions.TimeZone"/>), and
/// optionally later for some patients: cohort <c>c</c> opens <see cref="CohortOffsets"/>[c] after that, so the rush is
/// spread. A claim before its cohort's time is refused with <see cref="ClaimStatus.NotYetOpen"/>. Immutable.
/// </summary>
/// <remarks>
/// <para>Days are published as before (the operator publishes ahead, or at any time); the policy decides when they may
/// be claimed. Queries show a published day's free slots whether or not it has opened (a search is a hint; the claim is
/// the authority); a host shows "opens at" with <see cref="OpensAt"/>.</para>
/// <para>The in-memory engine judges time by its <see cref="SlotEngineOptions.TimeProvider"/>; SlotEngine.Redis by
/// Redis <c>TIME</c> inside the claim script, against the instant computed here and passed as an argument (one source
/// for the rule, as for the booking window).</para>
/// <para>The opening instant is local midnight (as <see cref="DayLayout.LocalMidnightUtcTicks"/>) plus
/// <see cref="LocalTime"/> as elapsed time: on a day with a daylight-saving change before that hour it is one hour off
/// the wall clock (Europe/Istanbul has none).</para>
/// </remarks>
public sealed class ReleasePolicy
{
    private static readonly TimeSpan[] SingleCohort = [TimeSpan.Zero];
    private readonly TimeSpan[] _offsets;
    private readonly DayCache<long> _cache;

    /// <summary>No scheduled release: a published day opens at once (the booking window still applies).</summary>
    public static ReleasePolicy None { get; } = new(0, TimeSpan.Zero, CohortBasis.None, null, enabled: false);

    /// <summary>Creates a policy.</summary>
    /// <param name="daysBefore">Day D opens on day D − daysBefore (0 to 365).</param>
    /// <param name="localTime">At what local time of that day (0 to 24 hours).</param>
    /// <param name="cohortBy">How patients are split; <see cref="CohortBasis.None"/> for one cohort.</param>
    /// <param name="cohortOffsets">When each cohort opens after the first instant (1 to 10 entries, each 0 to 7 days;
    /// null or empty for one cohort at offset 0). Ignored when <paramref name="cohortBy"/> is <see cref="CohortBasis.None"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public ReleasePolicy(int daysBefore, TimeSpan localTime, CohortBasis cohortBy = CohortBasis.None, IReadOnlyList<TimeSpan>? cohortOffsets = null)
        : this(daysBefore, localTime, cohortBy, cohortOffsets, enabled: true)
    {
    }

    private ReleasePolicy(int daysBefore, TimeSpan localTime, CohortBasis cohortBy, IReadOnlyList<TimeSpan>? cohortOffsets, bool enabled)
    {
        _cache = new(256, ComputeFirstOpen);
        ArgumentOutOfRangeException.ThrowIfNegative(daysBefore);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(daysBefore, 365);
        if (localTime < TimeSpan.Zero || localTime > TimeSpan.FromHours(24))
        {
            throw new ArgumentOutOfRangeException(nameof(localTime), localTime, "The release time must be from 00:00 to 24:00.");
        }

        if (cohortBy is not (CohortBasis.None or CohortBasis.PatientKey or CohortBasis.BirthYear))
        {
            throw new ArgumentOutOfRangeException(nameof(cohortBy), cohortBy, "Not a cohort basis.");
        }

        _offsets = cohortBy == CohortBasis.None || cohortOffsets is null || cohortOffsets.Count == 0 ? SingleCohort : [.. cohortOffsets];
        if (_offsets.Length > MaxCohorts)
        {
            throw new ArgumentOutOfRangeException(nameof(cohortOffsets), _offsets.Length, $"At most {MaxCohorts} cohorts.");
        }

        foreach (var offset in _offsets)
        {
            if (offset < TimeSpan.Zero || offset > TimeSpan.FromDays(7))
            {
                throw new ArgumentOutOfRangeException(nameof(cohortOffsets), offset, "A cohort offset must be from zero to 7 days.");
            }
        }

        IsEnabled = enabled;
        DaysBefore = daysBefore;
        LocalTime = localTime;
        CohortBy = _offsets.Length == 1 ? CohortBasis.None : cohortBy;
    }

    /// <summary>The most cohorts a policy may have.</summary>
    public const int MaxCohorts = 10;

    /// <summary>A policy whose cohorts open <paramref name="spacing"/> apart: cohort c at c × spacing.</summary>
    /// <param name="daysBefore">Day D opens on day D − daysBefore.</param>
    /// <param name="localTime">At what local time.</param>
    /// <param name="cohortBy">How patients are split.</param>
    /// <param name="cohorts">How many cohorts (1 to 10).</param>
    /// <param name="spacing">Between consecutive cohorts.</param>
    /// <returns>The policy.</returns>
    public static ReleasePolicy Staggered(int daysBefore, TimeSpan localTime, CohortBasis cohortBy, int cohorts, TimeSpan spacing)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cohorts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cohorts, MaxCohorts);
        var offsets = new TimeSpan[cohorts];
        for (var c = 0; c < cohorts; c++)
        {
            offsets[c] = spacing * c;
        }

        return new ReleasePolicy(daysBefore, localTime, cohortBy, offsets);
    }

    /// <summary>Whether days open on a schedule (false for <see cref="None"/>).</summary>
    public bool IsEnabled { get; }

    /// <summary>Day D opens on day D − DaysBefore.</summary>
    public int DaysBefore { get; }

    /// <summary>At what local time of that day the first cohort opens.</summary>
    public TimeSpan LocalTime { get; }

    /// <summary>How patients are split into cohorts.</summary>
    public CohortBasis CohortBy { get; }

    /// <summary>When each cohort opens after the first (one entry of zero when there are no cohorts).</summary>
    public IReadOnlyList<TimeSpan> CohortOffsets => _offsets;

    /// <summary>How many cohorts.</summary>
    public int Cohorts => _offsets.Length;

    /// <summary>The cohort of a patient (0 when there are no cohorts).</summary>
    /// <param name="patient">The patient key.</param>
    /// <param name="birthYear">The birth year the caller supplies, for <see cref="CohortBasis.BirthYear"/>.</param>
    /// <returns>0 to <see cref="Cohorts"/> − 1.</returns>
    public int CohortOf(PatientKey patient, int? birthYear)
    {
        var count = _offsets.Length;
        switch (CohortBy)
        {
            case CohortBasis.PatientKey:
                // The key is already a keyed hash; the multiply mixes its bits again so cohorts do not follow the
                // directory's placement, and the high half of value × count is uniform in [0, count).
                return (int)Math.BigMul(unchecked(patient.Value * 0x9E3779B97F4A7C15UL), (ulong)count, out _);
            case CohortBasis.BirthYear:
                return birthYear is { } year && year >= 0 ? (year % 10) * count / 10 : count - 1;
            default:
                return 0;
        }
    }

    /// <summary>When <paramref name="day"/> opens for a patient's cohort, in UTC ticks; <see cref="long.MinValue"/> when the policy is off.</summary>
    /// <param name="day">The calendar's day.</param>
    /// <param name="patient">The patient.</param>
    /// <param name="birthYear">The birth year, for <see cref="CohortBasis.BirthYear"/>.</param>
    /// <param name="zone">The engine's zone.</param>
    /// <returns>The instant; a claim at or after it is not refused as not yet open.</returns>
    public long OpensAtUtcTicks(DateOnly day, PatientKey patient, int? birthYear, TimeZoneInfo zone)
    {
        if (!IsEnabled)
        {
            return long.MinValue;
        }

        return FirstOpenUtcTicks(day, zone) + _offsets[CohortOf(patient, birthYear)].Ticks;
    }

    /// <summary>When <paramref name="day"/> opens for the given cohort.</summary>
    /// <param name="day">The calendar's day.</param>
    /// <param name="cohort">The cohort (see <see cref="CohortOf"/>).</param>
    /// <param name="zone">The engine's zone.</param>
    /// <returns>The instant, or <see cref="DateTimeOffset.MinValue"/> when the policy is off.</returns>
    public DateTimeOffset OpensAt(DateOnly day, int cohort, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentOutOfRangeException.ThrowIfNegative(cohort);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cohort, _offsets.Length);
        return IsEnabled ? new DateTimeOffset(FirstOpenUtcTicks(day, zone) + _offsets[cohort].Ticks, TimeSpan.Zero) : DateTimeOffset.MinValue;
    }

    // The first cohort's instant per day, cached per day and zone (the claim path converts no time zone).
    private long FirstOpenUtcTicks(DateOnly day, TimeZoneInfo zone) => _cache.Get(day, zone);

    private long ComputeFirstOpen(DateOnly day, TimeZoneInfo zone) => DayLayout.LocalMidnightUtcTicks(day.AddDays(-DaysBefore), zone) + LocalTime.Ticks;
}
