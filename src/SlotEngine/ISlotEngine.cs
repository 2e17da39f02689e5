namespace SlotEngine;

/// <summary>
/// The reserve / hold / confirm / release / query primitives a booking API embeds. Implemented by
/// the in-memory engine (<see cref="InMemorySlotEngine"/>) and by the Redis store; both give the
/// same results for the same operations. Every method is thread-safe.
/// </summary>
/// <remarks>
/// Expected outcomes (taken, closed, quota exceeded, stale…) come back as a
/// <see cref="ClaimStatus"/>. Bad input (unknown provider, unpublished day, slot out of range, a
/// default reservation…) throws <see cref="SlotEngineArgumentException"/> and changes nothing.
/// Queries are snapshots: hints, never promises.
/// </remarks>
public interface ISlotEngine
{
    /// <summary>The facilities, clinics and providers this engine knows.</summary>
    SlotDirectory Directory { get; }

    /// <summary>The engine's settings.</summary>
    SlotEngineOptions Options { get; }

    /// <summary>
    /// Today's local date in the engine's zone (<see cref="SlotEngineOptions.TimeZone"/>) by its
    /// <see cref="SlotEngineOptions.TimeProvider"/>: the day the booking window counts from, so a
    /// host publishes <c>Today.AddDays(n)</c> without reading the wall clock itself.
    /// </summary>
    DateOnly Today { get; }

    /// <summary>Opens a provider's day: its slots become free. Publishing the same day again with an equal template does nothing.</summary>
    /// <param name="provider">A registered provider.</param>
    /// <param name="day">The local day.</param>
    /// <param name="template">How the day is cut.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the day is open.</returns>
    ValueTask PublishAsync(ProviderId provider, DateOnly day, DayTemplate template, CancellationToken cancellationToken = default);

    /// <summary>Withdraws a published day: it closes, and every hold and booking on it is returned.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was displaced.</returns>
    ValueTask<BlockResult> WithdrawAsync(CalendarKey calendar, CancellationToken cancellationToken = default);

    /// <summary>Holds (with a time to live) or books consecutive slots: all of them or none.</summary>
    /// <param name="request">What to claim, for whom.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reservation, or why not.</returns>
    ValueTask<ClaimResult> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Turns a live hold into a booking. Confirming an already confirmed reservation succeeds again. Under
    /// <see cref="SlotEngineOptions.Approval"/>, a hold whose day is far enough ahead becomes an unapproved booking instead,
    /// and confirming an unapproved booking leaves it unapproved: the result then succeeds with the approval deadline as
    /// <see cref="Reservation.HoldExpiresAt"/> (only <see cref="ApproveAsync"/> approves).
    /// </summary>
    /// <param name="reservation">The hold's reservation.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The booking (or the unapproved booking, with its deadline), or why not (expired, stale).</returns>
    ValueTask<ClaimResult> ConfirmAsync(Reservation reservation, CancellationToken cancellationToken = default);

    /// <summary>
    /// Approves a booking that awaits approval (<see cref="SlotEngineOptions.Approval"/>: a booking made well ahead, directly
    /// or by confirming a hold, returned with its deadline as <see cref="Reservation.HoldExpiresAt"/>): it becomes a plain
    /// booking, to which the patient cancel cutoff applies. Approving again succeeds again; approving a live hold books it
    /// at once. <see cref="ConfirmAsync"/> never approves. Audited as <see cref="AuditAction.Approve"/>.
    /// </summary>
    /// <param name="reservation">The unapproved booking's reservation.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The booking; <see cref="ClaimStatus.ApprovalLapsed"/> when its deadline has passed (its slots were offered again); <see cref="ClaimStatus.Stale"/> for a token or patient that does not own it.</returns>
    ValueTask<ClaimResult> ApproveAsync(Reservation reservation, CancellationToken cancellationToken = default);

    /// <summary>Releases a hold or a booking with no cutoff (the system's own undo; for a patient's cancel use <see cref="CancelAsync"/>).</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Succeeded, or why not (stale).</returns>
    ValueTask<ClaimResult> ReleaseAsync(Reservation reservation, CancellationToken cancellationToken = default);

    /// <summary>Cancels a booking or hold. A patient cannot cancel a booking later than the cutoff before its start; an administrator can.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="actor">Who cancels.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Succeeded, or why not (stale, too late).</returns>
    ValueTask<ClaimResult> CancelAsync(Reservation reservation, CancelActor actor, CancellationToken cancellationToken = default);

    /// <summary>Closes slots (the doctor is on leave) on every seat; returns the holds and bookings it displaced.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="slots">The slots to close.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was closed and displaced.</returns>
    ValueTask<BlockResult> BlockAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default);

    /// <summary>Opens closed slots again (not those outside the template or in a daylight-saving gap).</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="slots">The slots to open.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many seats were opened.</returns>
    ValueTask<int> ReopenAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default);

    /// <summary>Frees expired holds now instead of lazily, and says which.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The holds reclaimed.</returns>
    ValueTask<IReadOnlyList<Reservation>> SweepExpiredHoldsAsync(CancellationToken cancellationToken = default);

    /// <summary>The slot states of one calendar.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A snapshot.</returns>
    ValueTask<CalendarSnapshot> GetCalendarAsync(CalendarKey calendar, CancellationToken cancellationToken = default);

    /// <summary>Free seats per published day of a provider over a date range.</summary>
    /// <param name="provider">The provider.</param>
    /// <param name="from">First day.</param>
    /// <param name="to">Last day (inclusive).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>One entry per published day, in date order.</returns>
    ValueTask<IReadOnlyList<DayFreeCount>> GetFreeCountsAsync(ProviderId provider, DateOnly from, DateOnly to, CancellationToken cancellationToken = default);

    /// <summary>The earliest free starts for an appointment, across a clinic, a city and branch, or a set of providers.</summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Starts in order of time, then provider.</returns>
    ValueTask<IReadOnlyList<FreeStart>> FindEarliestAsync(EarliestQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records what became of a booking. A <see cref="AppointmentOutcome.NoShow"/> or <see cref="AppointmentOutcome.SeenElsewhere"/>
    /// bars the patient from the booking's branch for <see cref="BarPolicy.Period"/> from now, when bars are on
    /// (<see cref="SlotEngineOptions.Bars"/>). The outcome is audited; the booking itself is unchanged.
    /// </summary>
    /// <param name="reservation">The booking's reservation.</param>
    /// <param name="outcome">What became of it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Succeeded, or Stale when the reservation is not a live booking (released, a hold, another patient's).</returns>
    ValueTask<ClaimResult> RecordOutcomeAsync(Reservation reservation, AppointmentOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Lifts a patient's bar on a branch (an administrator's decision).</summary>
    /// <param name="patient">The patient.</param>
    /// <param name="branch">The branch.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether a bar was in force.</returns>
    ValueTask<bool> LiftBarAsync(PatientKey patient, BranchId branch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers a wish on the waitlist (<see cref="SlotEngineOptions.Waitlist"/>): when a matching slot becomes free (released,
    /// cancelled, an expired hold reclaimed, a day published or reopened) the engine holds it for the next waiting wish's
    /// patient for the offer window, in priority group order and first come, first served within a group.
    /// </summary>
    /// <param name="request">The wish.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The wish's ticket.</returns>
    /// <exception cref="SlotEngineArgumentException">The waitlist is off, or the wish is malformed.</exception>
    ValueTask<WishTicket> RegisterWishAsync(WishRequest request, CancellationToken cancellationToken = default);

    /// <summary>Cancels a wish: a waiting one leaves its queue; an offered one has its hold released (offered to the next wish).</summary>
    /// <param name="ticket">The wish.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the wish was waiting or offered.</returns>
    ValueTask<bool> CancelWishAsync(WishTicket ticket, CancellationToken cancellationToken = default);

    /// <summary>One wish: its state, its place in the queue, its offer.</summary>
    /// <param name="ticket">The wish.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The view, or null for an unknown ticket.</returns>
    ValueTask<WishView?> GetWishAsync(WishTicket ticket, CancellationToken cancellationToken = default);

    /// <summary>A patient's wishes with the offers made to them (so the host can notify the citizen), oldest first.</summary>
    /// <param name="patient">The patient.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The views.</returns>
    ValueTask<IReadOnlyList<WishView>> GetWishesAsync(PatientKey patient, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves a live appointment (a hold or a booking) to other slots, on the same or another calendar, in one operation:
    /// either the target is claimed and the current claim released, or nothing changes. The target is claimed as the
    /// current one was (see <see cref="RescheduleResult"/>); the patient's quotas and active-appointment cap count the
    /// appointment once throughout, so a patient at the cap can move; bars, the booking window and closed slots apply to the target.
    /// </summary>
    /// <param name="current">The appointment's reservation.</param>
    /// <param name="target">Where to move it: calendar, slots and the same patient; its <see cref="ClaimRequest.IdempotencyKey"/> makes a retry return the first result.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The moved appointment's new reservation, or why not (the current one is then unchanged, or was already gone: <see cref="ClaimStatus.Stale"/>).</returns>
    /// <exception cref="NotSupportedException">The implementation does not move appointments.</exception>
    ValueTask<RescheduleResult> RescheduleAsync(Reservation current, ClaimRequest target, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(GetType().Name + " does not implement RescheduleAsync.");

    /// <summary>
    /// Frees expired holds and unapproved bookings past their approval deadline (<see cref="SlotEngineOptions.Approval"/>) now
    /// instead of lazily, and says which, apart (<see cref="SweepExpiredHoldsAsync"/> lists both together).
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was released.</returns>
    ValueTask<SweepResult> SweepAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// How many unapproved bookings (<see cref="SlotEngineOptions.Approval"/>) this engine has released at their approval
    /// deadline so far, whichever path released them: a claim that met one past its deadline and took its slots, a sweep,
    /// or a block or withdraw. Each lapse is counted once, by the engine (on Redis: the node) whose call released it; 0 when
    /// approval is off. Monotonic: the hosting metric <c>slotengine.approvals.lapsed</c> observes it.
    /// </summary>
    long UnapprovedReleased { get; }

    /// <summary>
    /// Purges wishes that can no longer be served or are finished (<see cref="WaitlistPolicy.FinishedRetention"/>): those
    /// whose date range has passed (today, in the engine's zone, is after its last day), whatever their state; cancelled
    /// ones, and offered ones whose offer expired (accepted or lapsed), once the retention has passed. A purged wish reads
    /// as unknown. The sweep also purges, at most once a minute.
    /// </summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many wishes were purged (0 when the waitlist is off).</returns>
    /// <exception cref="NotSupportedException">The implementation has no waitlist.</exception>
    ValueTask<int> PurgeWishesAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException(GetType().Name + " does not implement PurgeWishesAsync.");
}
