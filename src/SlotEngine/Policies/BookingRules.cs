using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace SlotEngine;

/// <summary>
/// The booking rules, written once and applied by every engine: input validation (a patient, a hold time
/// within <see cref="MaxHoldDuration"/>, slots inside the calendar and inside one session, a seat the
/// template has), the booking window (<see cref="EarliestBookableDayOffset"/> to <see cref="BookingHorizonDays"/>
/// local days ahead), "in the past" (a claim must start after now), and the patient cancel cutoff.
/// </summary>
/// <remarks>
/// <para>A snapshot of <see cref="SlotEngineOptions"/> taken once (later changes to the options are not seen).
/// Immutable and thread-safe; the checks allocate nothing unless they throw.</para>
/// <para>The in-memory engine judges time by its <see cref="SlotEngineOptions.TimeProvider"/>. A store judges it by
/// its own clock (SlotEngine.Redis: Redis <c>TIME</c>, inside the script) against the bounds computed here
/// (<see cref="BookingWindowOf"/>, <see cref="CancelDeadlineUtcTicks"/>, a slot's start from its
/// <see cref="DayLayout"/>), so both engines give the same answers. Times are UTC ticks
/// (<see cref="DateTime.Ticks"/> of a UTC instant) so that hot paths compare integers.</para>
/// </remarks>
public sealed class BookingRules
{
    private readonly long _maxHoldTicks;

    /// <summary>Takes the rules from validated options.</summary>
    /// <param name="options">The engine's options.</param>
    /// <exception cref="ArgumentException">An option is invalid (see <see cref="SlotEngineOptions.Validate"/>); the message names it.</exception>
    public BookingRules(SlotEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TimeZone = options.TimeZone;
        EarliestBookableDayOffset = options.EarliestBookableDayOffset;
        BookingHorizonDays = options.BookingHorizonDays;
        PatientCancelCutoff = options.PatientCancelCutoff;
        MaxHoldDuration = options.MaxHoldDuration;
        _maxHoldTicks = options.MaxHoldDuration.Ticks;
        MaxClaimsPerCall = options.Actors.MaxClaimsPerCall;
        Audit = options.Audit;
        MaxActiveAppointments = options.MaxActiveAppointments;
        CallRetention = options.Actors.CallRetention;
        BarPeriod = options.Bars.Period;
        _barExempt = options.Bars.Exempt;
        _approvalDaysAhead = options.Approval.MinDaysAhead;
        _approvalBeforeDay = options.Approval.DeadlineBeforeDay.Ticks;
        _approvalCache = new(ApprovalCacheSize, ComputeApproval);
    }

    private readonly int _approvalDaysAhead;
    private readonly long _approvalBeforeDay;

    /// <summary>
    /// When a direct booking of <paramref name="day"/> needs approval (<see cref="SlotEngineOptions.Approval"/>), as UTC
    /// ticks for a store that compares with its own clock: a booking made before <c>NeededBefore</c> (the local midnight
    /// that ends the last day at least <see cref="ApprovalPolicy.MinDaysAhead"/> days before it) must be approved by
    /// <c>Deadline</c>. Both 0 when approval is off.
    /// </summary>
    /// <param name="day">The calendar's day.</param>
    /// <returns>Both instants, in UTC ticks.</returns>
    public (long NeededBeforeUtcTicks, long DeadlineUtcTicks) ApprovalOf(DateOnly day)
    {
        if (_approvalDaysAhead == 0)
        {
            return (0, 0);
        }

        // Two zone conversions per day, not per claim and confirm.
        return _approvalCache.Get(day, TimeZone);
    }

    private const int ApprovalCacheSize = 512;
    private readonly DayCache<(long NeededBefore, long Deadline)> _approvalCache;

    private (long NeededBefore, long Deadline) ComputeApproval(DateOnly day, TimeZoneInfo zone) => (
        DayLayout.LocalMidnightUtcTicks(day.AddDays(1 - _approvalDaysAhead), zone),
        DayLayout.LocalMidnightUtcTicks(day, zone) - _approvalBeforeDay);

    /// <summary>The approval deadline of a claim made at <paramref name="nowTicks"/>, in UTC ticks; 0 when it needs none (a hold, a near day, approval off).</summary>
    /// <param name="request">A validated request.</param>
    /// <param name="day">The calendar's day.</param>
    /// <param name="nowTicks">Now, UTC ticks.</param>
    /// <returns>The deadline, or 0.</returns>
    public long ApprovalDeadlineUtcTicks(in ClaimRequest request, DateOnly day, long nowTicks)
    {
        if (_approvalDaysAhead == 0 || request.HoldFor is not null)
        {
            return 0;
        }

        var (neededBefore, deadline) = ApprovalOf(day);
        return nowTicks < neededBefore ? deadline : 0;
    }

    /// <summary>
    /// The approval deadline a hold of <paramref name="day"/> confirmed at <paramref name="nowTicks"/> takes, in UTC ticks: a
    /// confirmed hold far enough ahead becomes an unapproved booking, as a direct booking does. 0 when it needs none.
    /// </summary>
    /// <param name="day">The calendar's day.</param>
    /// <param name="nowTicks">Now, UTC ticks.</param>
    /// <returns>The deadline, or 0.</returns>
    public long ApprovalDeadlineOfConfirm(DateOnly day, long nowTicks)
    {
        if (_approvalDaysAhead == 0)
        {
            return 0;
        }

        var (neededBefore, deadline) = ApprovalOf(day);
        return nowTicks < neededBefore ? deadline : 0;
    }

    private readonly PatientAttributes _barExempt;

    /// <summary>Throws unless <paramref name="outcome"/> is a defined <see cref="AppointmentOutcome"/>.</summary>
    /// <param name="outcome">The outcome.</param>
    /// <exception cref="SlotEngineArgumentException">It is not.</exception>
    public static void ValidateOutcome(AppointmentOutcome outcome)
    {
        if (outcome is not (AppointmentOutcome.Attended or AppointmentOutcome.NoShow or AppointmentOutcome.SeenElsewhere))
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidOutcome, $"{outcome} is not an appointment outcome.", nameof(outcome));
        }
    }

    /// <summary>How long a bar lasts, zero when bars are off (<see cref="SlotEngineOptions.Bars"/>).</summary>
    public TimeSpan BarPeriod { get; }

    /// <summary>Whether a claim must be checked against the patient's bars: bars are on and the request declares no exempt attribute.</summary>
    /// <param name="request">A validated request.</param>
    /// <returns>True when the engine checks the bar of the request's branch before claiming.</returns>
    public bool ChecksBars(in ClaimRequest request) => BarPeriod > TimeSpan.Zero && (request.PatientAttributes & _barExempt) == 0;

    /// <summary>The most live future appointments per patient, 0 for no cap (<see cref="SlotEngineOptions.MaxActiveAppointments"/>).</summary>
    public int MaxActiveAppointments { get; }

    /// <summary>Whether transitions are recorded in the audit stream (<see cref="SlotEngineOptions.Audit"/>).</summary>
    public bool Audit { get; }

    /// <summary>How many claims one call may make, 0 for no limit (<see cref="ActorPolicy.MaxClaimsPerCall"/>).</summary>
    public int MaxClaimsPerCall { get; }

    /// <summary>How long a call's count is kept (<see cref="ActorPolicy.CallRetention"/>).</summary>
    public TimeSpan CallRetention { get; }

    /// <summary>Whether <paramref name="request"/> counts against a per-call limit: the limit is set and the request names a call.</summary>
    /// <param name="request">A validated request.</param>
    /// <returns>True when the engine must take one of the call's places before claiming.</returns>
    public bool CountsAgainstCall(in ClaimRequest request) => MaxClaimsPerCall > 0 && request.CallId is not null;

    /// <summary>The zone in which days are local (<see cref="SlotEngineOptions.TimeZone"/>).</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>The earliest bookable day, in days after today (<see cref="SlotEngineOptions.EarliestBookableDayOffset"/>).</summary>
    public int EarliestBookableDayOffset { get; }

    /// <summary>The last bookable day, in days after today (<see cref="SlotEngineOptions.BookingHorizonDays"/>).</summary>
    public int BookingHorizonDays { get; }

    /// <summary>How long before its start a patient may still cancel a booking (<see cref="SlotEngineOptions.PatientCancelCutoff"/>).</summary>
    public TimeSpan PatientCancelCutoff { get; }

    /// <summary>The longest hold a claim may ask for (<see cref="SlotEngineOptions.MaxHoldDuration"/>).</summary>
    public TimeSpan MaxHoldDuration { get; }

    /// <summary>Whether a day may be booked when it is <paramref name="today"/> (local).</summary>
    /// <param name="day">The calendar's day.</param>
    /// <param name="today">Today, local.</param>
    /// <returns>True inside the window.</returns>
    public bool IsInBookingWindow(DateOnly day, DateOnly today) =>
        day.DayNumber >= today.DayNumber + EarliestBookableDayOffset &&
        day.DayNumber <= today.DayNumber + BookingHorizonDays;

    /// <summary>
    /// The UTC instants between which <paramref name="day"/> is bookable, [open, close): from the local midnight
    /// <see cref="BookingHorizonDays"/> days before it to the local midnight that ends the last day from which it is
    /// at least <see cref="EarliestBookableDayOffset"/> days ahead. The same window as <see cref="IsInBookingWindow"/>,
    /// for a store that compares with its own clock.
    /// </summary>
    /// <param name="day">The calendar's day.</param>
    /// <returns>Both bounds, in UTC ticks.</returns>
    public (long OpenUtcTicks, long CloseUtcTicks) BookingWindowOf(DateOnly day) => (
        DayLayout.LocalMidnightUtcTicks(day.AddDays(-BookingHorizonDays), TimeZone),
        DayLayout.LocalMidnightUtcTicks(day.AddDays(1 - EarliestBookableDayOffset), TimeZone));

    /// <summary>
    /// The time rules of a claim: <see cref="ClaimStatus.OutsideBookingWindow"/> when its day is outside the window,
    /// <see cref="ClaimStatus.InPast"/> when its first slot does not start after now, else <see cref="ClaimStatus.Succeeded"/>.
    /// </summary>
    /// <param name="day">The calendar's day.</param>
    /// <param name="today">Today, local, at <paramref name="nowUtcTicks"/>.</param>
    /// <param name="firstSlotStartUtcTicks">When the claim's first slot starts (<see cref="DayLayout.StartUtcTicks"/>).</param>
    /// <param name="nowUtcTicks">Now.</param>
    /// <returns>The verdict.</returns>
    public ClaimStatus CheckTime(DateOnly day, DateOnly today, long firstSlotStartUtcTicks, long nowUtcTicks) =>
        !IsInBookingWindow(day, today) ? ClaimStatus.OutsideBookingWindow
        : firstSlotStartUtcTicks <= nowUtcTicks ? ClaimStatus.InPast
        : ClaimStatus.Succeeded;

    /// <summary>The last instant at which a patient may cancel a booking that starts at <paramref name="startUtcTicks"/> (an administrator always may).</summary>
    /// <param name="startUtcTicks">When the booking's first slot starts.</param>
    /// <returns>The deadline, in UTC ticks: a cancel at or before it is allowed.</returns>
    public long CancelDeadlineUtcTicks(long startUtcTicks) => startUtcTicks - PatientCancelCutoff.Ticks;

    /// <summary>Checks what a claim request carries by itself: a patient, and a hold time within the limit.</summary>
    /// <param name="request">The request.</param>
    /// <exception cref="SlotEngineArgumentException"><see cref="SlotEngineError.MissingPatient"/>, <see cref="SlotEngineError.InvalidHoldDuration"/>,
    /// <see cref="SlotEngineError.MissingCallId"/> or <see cref="SlotEngineError.InvalidCallId"/>.</exception>
    public void ValidateClaim(in ClaimRequest request)
    {
        // The common request (no call id, pool or hold outside the limits, a patient) passes these tests alone; the
        // messages are built in a cold method (see ValidateRange).
        if ((request.CallId is { } callId ? IsBadCallId(callId) : NeedsCallId(request))
            || request.Patient.IsDefault
            || (request.HoldFor is { } ttl && IsBadHold(ttl)))
        {
            ThrowBadClaim(request);
        }

        if (request.Pool is { } pool)
        {
            ValidatePool(pool, nameof(request));
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowBadClaim(in ClaimRequest request)
    {
        if (request.CallId is { } callId)
        {
            if (IsBadCallId(callId))
            {
                throw new SlotEngineArgumentException(SlotEngineError.InvalidCallId, $"A call id must be 1 to {ClaimRequest.MaxCallIdLength} characters without '{{' or '}}'.", nameof(request));
            }
        }
        else if (NeedsCallId(request))
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingCallId, "A call-centre claim must name its call (ClaimRequest.CallId) while a per-call limit is set.", nameof(request));
        }

        if (request.Pool is { } pool)
        {
            ValidatePool(pool, nameof(request));
        }

        if (request.Patient.IsDefault)
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingPatient, "The request has no patient (PatientKey is the default value).", nameof(request));
        }

        throw new SlotEngineArgumentException(SlotEngineError.InvalidHoldDuration, $"A hold must last more than zero and at most {MaxHoldDuration}; it asked for {request.HoldFor}.", nameof(request));
    }

    private static bool IsBadCallId(string callId) =>
        callId.Length == 0 || callId.Length > ClaimRequest.MaxCallIdLength || callId.AsSpan().IndexOfAny('{', '}') >= 0;

    private bool NeedsCallId(in ClaimRequest request) => MaxClaimsPerCall > 0 && request.Channel == BookingChannel.CallCentre;

    private bool IsBadHold(TimeSpan ttl) => ttl <= TimeSpan.Zero || ttl.Ticks > _maxHoldTicks;

    /// <summary>Checks a slot range against a calendar's template: inside it, at least one slot, and (for a claim) inside one session.</summary>
    /// <param name="calendar">The calendar (for the message).</param>
    /// <param name="template">Its template.</param>
    /// <param name="slots">The range.</param>
    /// <param name="withinOneSession">True for claims (a claim never spans a break); false for blocks and reopens.</param>
    /// <exception cref="SlotEngineArgumentException"><see cref="SlotEngineError.SlotOutOfRange"/>, <see cref="SlotEngineError.InvalidLength"/> or <see cref="SlotEngineError.CrossesSession"/>.</exception>
    public static void ValidateRange(CalendarKey calendar, DayTemplate template, SlotRange slots, bool withinOneSession)
    {
        ArgumentNullException.ThrowIfNull(template);
        var slotCount = template.SlotCount;

        // The checks here, the messages in a cold method: a claim's hot path inlines this, and the JIT's inlining budget
        // is better spent on the claim than on building messages no valid request needs.
        if (slots.First < 0 || slots.First >= slotCount || slots.Length < 1 || slots.Length > slotCount - slots.First
            || (withinOneSession && template.SessionOf(slots.First) != template.SessionOf(slots.End - 1)))
        {
            ThrowBadRange(calendar, template, slots);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadRange(CalendarKey calendar, DayTemplate template, SlotRange slots)
    {
        var slotCount = template.SlotCount;
        if (slots.First < 0 || slots.First >= slotCount)
        {
            throw new SlotEngineArgumentException(SlotEngineError.SlotOutOfRange, $"Slot {slots.First} is outside {calendar}, which has slots 0 to {slotCount - 1}.", "slots");
        }

        if (slots.Length < 1)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidLength, $"The number of slots must be at least 1; it was {slots.Length}.", "slots");
        }

        if (slots.Length > slotCount - slots.First)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidLength, $"{slots} runs past the end of {calendar}, which has {slotCount} slots.", "slots");
        }

        throw new SlotEngineArgumentException(SlotEngineError.CrossesSession, $"{slots} runs from one session of {calendar} into the next ({template}).", "slots");
    }

    /// <summary>Checks that a seat exists on a calendar's template.</summary>
    /// <param name="calendar">The calendar (for the message).</param>
    /// <param name="template">Its template.</param>
    /// <param name="seat">The seat.</param>
    /// <exception cref="SlotEngineArgumentException"><see cref="SlotEngineError.SeatOutOfRange"/>.</exception>
    public static void ValidateSeat(CalendarKey calendar, DayTemplate template, int seat)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (seat < 0 || seat >= template.Capacity)
        {
            ThrowBadSeat(calendar, template, seat);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSeat(CalendarKey calendar, DayTemplate template, int seat) =>
        throw new SlotEngineArgumentException(SlotEngineError.SeatOutOfRange, $"Seat {seat} is outside {calendar}, which has {template.Capacity} seat(s) per slot.", "reservation");

    /// <summary>Checks a pool name: 1 to <see cref="ClaimRequest.MaxPoolLength"/> characters, without <c>{</c> or <c>}</c>.</summary>
    /// <param name="pool">The name.</param>
    /// <param name="parameterName">For the exception.</param>
    /// <exception cref="SlotEngineArgumentException"><see cref="SlotEngineError.InvalidPool"/>.</exception>
    public static void ValidatePool(string pool, string parameterName)
    {
        ArgumentNullException.ThrowIfNull(pool, parameterName);
        if (pool.Length == 0 || pool.Length > ClaimRequest.MaxPoolLength || pool.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            throw new SlotEngineArgumentException(SlotEngineError.InvalidPool, $"A pool must be 1 to {ClaimRequest.MaxPoolLength} characters without '{{' or '}}'.", parameterName);
        }
    }
}
