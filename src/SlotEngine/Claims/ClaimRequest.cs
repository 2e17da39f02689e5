namespace SlotEngine;

/// <summary>
/// A request to claim consecutive slots of one calendar for a patient: a hold when
/// <see cref="HoldFor"/> is set, otherwise a direct booking.
/// </summary>
/// <param name="Calendar">The calendar.</param>
/// <param name="Slots">The consecutive slots wanted; they must lie in one session of the day.</param>
/// <param name="Patient">The patient (see <see cref="PatientKeyHasher"/>).</param>
/// <param name="HoldFor">For a hold, its time to live (more than zero); <see langword="null"/> to book directly.</param>
/// <param name="IdempotencyKey">
/// Optional. A retry with the same key returns the first reservation instead of claiming again;
/// the same key with other parameters is an error.
/// </param>
public readonly record struct ClaimRequest(
    CalendarKey Calendar,
    SlotRange Slots,
    PatientKey Patient,
    TimeSpan? HoldFor = null,
    string? IdempotencyKey = null)
{
    /// <summary>A hold request.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="slots">The slots.</param>
    /// <param name="patient">The patient.</param>
    /// <param name="ttl">How long the hold lasts.</param>
    /// <param name="idempotencyKey">Optional idempotency key.</param>
    /// <returns>The request.</returns>
    public static ClaimRequest Hold(CalendarKey calendar, SlotRange slots, PatientKey patient, TimeSpan ttl, string? idempotencyKey = null) =>
        new(calendar, slots, patient, ttl, idempotencyKey);

    /// <summary>A direct booking request.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="slots">The slots.</param>
    /// <param name="patient">The patient.</param>
    /// <param name="idempotencyKey">Optional idempotency key.</param>
    /// <returns>The request.</returns>
    public static ClaimRequest Book(CalendarKey calendar, SlotRange slots, PatientKey patient, string? idempotencyKey = null) =>
        new(calendar, slots, patient, null, idempotencyKey);

    /// <summary>Whether this asks for a hold rather than a booking.</summary>
    public bool IsHold => HoldFor.HasValue;

    /// <summary>Who makes the claim.</summary>
    /// <value>The default is <see cref="SlotEngine.Actor.Patient"/>.</value>
    public Actor Actor { get; init; }

    /// <summary>Through which channel the claim comes.</summary>
    /// <value>The default is <see cref="BookingChannel.Web"/>.</value>
    public BookingChannel Channel { get; init; }

    /// <summary>
    /// The call (or session) this claim is made in, for per-call limits (<see cref="ActorPolicy.MaxClaimsPerCall"/>):
    /// 1 to <see cref="MaxCallIdLength"/> characters, without <c>{</c> or <c>}</c>. Required for
    /// <see cref="BookingChannel.CallCentre"/> claims when that limit is set.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the claim belongs to no call.</value>
    public string? CallId { get; init; }

    /// <summary>Facts about the patient the caller vouches for, for exemptions (<see cref="BarPolicy.Exempt"/>). Not part of the request's identity for idempotency.</summary>
    /// <value>The default is <see cref="SlotEngine.PatientAttributes.None"/>.</value>
    public PatientAttributes PatientAttributes { get; init; }

    /// <summary>The longest <see cref="CallId"/>.</summary>
    public const int MaxCallIdLength = 128;

    /// <summary>
    /// The reserved pool this claim may draw on (<see cref="ReservedCapacity"/>): 1 to <see cref="MaxPoolLength"/> characters,
    /// without <c>{</c> or <c>}</c>. The host vouches for it (for example, for its family doctors' referrals).
    /// </summary>
    /// <value>The default is <see langword="null"/>: no pool.</value>
    public string? Pool { get; init; }

    /// <summary>The patient's birth year, supplied by the caller, for release cohorts by birth year (<see cref="CohortBasis.BirthYear"/>).</summary>
    /// <value>The default is <see langword="null"/>: unknown (the last cohort).</value>
    public int? BirthYear { get; init; }

    /// <summary>The longest <see cref="Pool"/>.</summary>
    public const int MaxPoolLength = 32;
}
