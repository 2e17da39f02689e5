namespace SlotEngine;

public sealed partial class InMemorySlotEngine
{
    /// <summary>Holds or books consecutive slots, all or none. Allocates nothing in the steady state.</summary>
    /// <param name="request">What to claim, for whom.</param>
    /// <returns>The reservation, or why not.</returns>
    /// <exception cref="SlotEngineArgumentException">Bad input: unknown provider, unpublished day, slots out of range or across sessions, a bad hold time, no patient, or an idempotency key reused with another request. Nothing changed.</exception>
    public ClaimResult TryClaim(in ClaimRequest request)
    {
        _rules.ValidateClaim(request);
        var calendar = RequireCalendar(request.Calendar);
        ValidateRange(calendar, request.Slots, withinOneSession: true);
        var now = NowTicks();
        if (!Admit(request, now, out var patient))
        {
            return ClaimResult.Failed(ClaimStatus.RateLimited);
        }

        if (request.IdempotencyKey is null)
        {
            return ClaimWithActorLimits(calendar, request, now, patient);
        }

        var record = _idempotency.Begin(request.IdempotencyKey, request, now, _idempotencyRetentionTicks, out var earlier);
        if (record is null)
        {
            return earlier;
        }

        var result = ClaimResult.Failed(ClaimStatus.Taken);
        try
        {
            result = ClaimWithActorLimits(calendar, request, now, patient);
            return result;
        }
        finally
        {
            _idempotency.Complete(request.IdempotencyKey, record, result);
        }
    }

    // patientIndex: the patient's directory index when the caller (the admission rate, the bar and cap checks) has
    // looked it up already, so one claim looks the patient up once; null: looked up here, after the time rules.
    // capEntry: the claim's entry in the active cap (capPlace its patient's place) when the quotas are judged from the
    // cap's entries (_quotasByCap); -1 otherwise, and the quota ledger takes its entries.
    private ClaimResult ClaimOnCalendar(Calendar calendar, in ClaimRequest request, long now, uint? patientIndex = null, KeyTable.Place capPlace = default, int capEntry = -1)
    {
        System.Diagnostics.Debug.Assert(calendar.Key == request.Calendar, "the calendar is the one the request names (TryClaim found it by that key)");
        var first = request.Slots.First;
        var today = TodayAt(now);
        var time = _rules.CheckTime(calendar.Day, today, calendar.Layout.StartUtcTicks(first), now);
        if (time != ClaimStatus.Succeeded)
        {
            return ClaimResult.Failed(time);
        }

        if (CheckRelease(calendar, request, now) is var open && open != ClaimStatus.Succeeded)
        {
            return ClaimResult.Failed(open);
        }

        var patient = patientIndex ?? _patients.IndexOf(request.Patient);
        QuotaTickets tickets = default;
        if (capEntry >= 0)
        {
            // The claim's entry names its calendar first, then the patient's other entries are counted (ActiveLedger.Quotas.cs).
            ActiveLedger.Target(capPlace, capEntry, calendar);
            if (!_active!.WithinQuotas(capPlace, capEntry, Options.Quotas, request.Calendar.Provider, calendar.Day, today, now))
            {
                return ClaimResult.Failed(ClaimStatus.QuotaExceeded);
            }
        }
        else if (!_quotas.TryAcquire(Options.Quotas, patient, request.Calendar.Provider, calendar.Day, now, out tickets))
        {
            // The day's quota tables were dropped since this claim read the clock: the day has passed.
            return ClaimResult.Failed(_quotas.HasPassed(calendar.Day) ? ClaimStatus.InPast : ClaimStatus.QuotaExceeded);
        }

        // A direct booking that needs approval is kept as a hold expiring at its deadline (ApprovalPolicy).
        var expiry = request.HoldFor is { } ttl ? now + ttl.Ticks : _rules.ApprovalDeadlineUtcTicks(request, calendar.Day, now);
        ClaimStatus status;
        int seat;
        long token;
        try
        {
            status = ClaimSeats(calendar, request, patient, expiry, now, out seat, out token, awaitsApproval: request.HoldFor is null);
        }
        catch
        {
            QuotaLedger.Abort(ref tickets);
            throw;
        }

        if (status != ClaimStatus.Succeeded)
        {
            QuotaLedger.Abort(ref tickets);
            return ClaimResult.Failed(status);
        }

        // The request's key is the calendar's (it was found by it): no read of the provider entry for its id.
        QuotaLedger.Commit(ref tickets, QuotaLedger.EncodeClaim(request.Calendar.Provider, first, token));
        return ClaimResult.Success(new Reservation(
            request.Calendar,
            request.Slots,
            seat,
            token,
            request.Patient,
            expiry == 0 ? null : new DateTimeOffset(expiry, TimeSpan.Zero)));
    }

    /// <summary>
    /// Turns a live hold into a booking; confirming a booking with the same token succeeds again. Under
    /// <see cref="SlotEngineOptions.Approval"/> a hold whose day is far enough ahead becomes an unapproved booking instead,
    /// and an unapproved booking stays one: the result then carries its approval deadline as
    /// <see cref="Reservation.HoldExpiresAt"/> (only <see cref="TryApprove"/> approves it).
    /// </summary>
    /// <param name="reservation">The hold's reservation.</param>
    /// <returns>The booking (or the unapproved booking), or HoldExpired / Stale (Stale also when the claim with this token is another patient's).</returns>
    /// <exception cref="SlotEngineArgumentException">The reservation is the default value, or names slots or a seat outside its calendar.</exception>
    public ClaimResult TryConfirm(in Reservation reservation) => ConfirmOrApprove(reservation, approve: false);

    private ClaimResult ConfirmOrApprove(in Reservation reservation, bool approve)
    {
        var calendar = ResolveReservation(reservation, out var notThisCalendars, tokensIssuedHere: true);
        if (calendar is null && !notThisCalendars)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var now = NowTicks();
        // A patient the directory has no index for owns no claim; one whose index is not the claim's is
        // another patient's reservation moved onto this claim (tokens repeat across calendars): Stale.
        long awaitsUntil = 0;
        uint patient = PatientDirectory.NoPatient;
        var status = calendar is null || !_patients.TryFind(reservation.Patient, out patient)
            ? ClaimStatus.Stale
            : calendar.Confirm(
                reservation.Seat,
                reservation.Slots.First,
                reservation.Token,
                patient,
                now,
                approve ? Calendar.ApproveNow : _rules.ApprovalDeadlineOfConfirm(calendar.Day, now),
                out awaitsUntil);
        if (status == ClaimStatus.Stale && reservation.HoldExpiresAt is { } expiry && expiry.UtcTicks <= now)
        {
            status = ClaimStatus.HoldExpired;
        }

        if (status != ClaimStatus.Succeeded)
        {
            return ClaimResult.Failed(approve && status == ClaimStatus.HoldExpired ? ClaimStatus.ApprovalLapsed : status);
        }

        if (Volatile.Read(ref _active) is { } ledger)
        {
            // A plain booking now, or one awaiting approval: the cap's entry may trust it without its calendar (always,
            // or until the day's deadline; ActiveLedger.MarkBooked, MarkAwaiting).
            if (awaitsUntil == 0)
            {
                ledger.MarkBooked(patient, calendar!, reservation.Slots.First, reservation.Token);
            }
            else
            {
                ledger.MarkAwaiting(patient, calendar!, reservation.Slots.First, reservation.Token);
            }
        }

        var result = reservation with { HoldExpiresAt = awaitsUntil == 0 ? null : new DateTimeOffset(awaitsUntil, TimeSpan.Zero) };
        if (_audit is not null && !(awaitsUntil != 0 && reservation.HoldExpiresAt?.UtcTicks == awaitsUntil))
        {
            // A confirm that leaves the claim as it was (an unapproved booking confirmed again) changes nothing: no record.
            _audit.Append(approve ? AuditAction.Approve : AuditAction.Confirm, result.Calendar, result.Slots, result.Seat, result.Token, result.Patient, awaitsUntil == 0, awaitsUntil, Actor.Patient, BookingChannel.Web, now);
        }

        return ClaimResult.Success(result);
    }

    /// <summary>
    /// Approves a booking that awaits approval (<see cref="SlotEngineOptions.Approval"/>): it becomes a plain booking;
    /// approving a booking again succeeds again, and approving a live hold books it at once.
    /// </summary>
    /// <param name="reservation">The unapproved booking's reservation.</param>
    /// <returns>The booking, or ApprovalLapsed (its deadline has passed) / Stale.</returns>
    /// <exception cref="SlotEngineArgumentException">The reservation is the default value, or names slots or a seat outside its calendar.</exception>
    public ClaimResult TryApprove(in Reservation reservation) => ConfirmOrApprove(reservation, approve: true);

    /// <summary>Releases a hold or booking, with no cutoff.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <returns>Succeeded, or Stale when the token no longer owns the slots (an expired hold included) or the claim is another patient's.</returns>
    /// <exception cref="SlotEngineArgumentException">The reservation is the default value, or names slots or a seat outside its calendar.</exception>
    public ClaimResult TryRelease(in Reservation reservation) => OfferFreed(Audited(AuditAction.Release, Actor.Administrator, Remove(reservation, long.MaxValue)));

    /// <summary>Cancels a hold or booking; a patient cannot cancel a booking within the cutoff before its start.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="actor">Who cancels.</param>
    /// <returns>Succeeded, Stale or CancelTooLate.</returns>
    /// <exception cref="SlotEngineArgumentException">The reservation is the default value, or names slots or a seat outside its calendar.</exception>
    public ClaimResult TryCancel(in Reservation reservation, CancelActor actor)
    {
        var calendar = ResolveReservation(reservation);
        if (calendar is null)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var cutoff = actor == CancelActor.Administrator
            ? long.MaxValue
            : _rules.CancelDeadlineUtcTicks(calendar.Layout.StartUtcTicks(reservation.Slots.First));
        return OfferFreed(Audited(AuditAction.Cancel, actor == CancelActor.Administrator ? Actor.Administrator : Actor.Patient, Remove(reservation, cutoff, calendar)));
    }

    private ClaimResult Remove(in Reservation reservation, long bookedCutoffTicks, Calendar? calendar = null)
    {
        calendar ??= ResolveReservation(reservation);
        if (calendar is null)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        if (!_patients.TryFind(reservation.Patient, out var patient))
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var status = calendar.Release(reservation.Seat, reservation.Slots.First, reservation.Token, patient, _clock, bookedCutoffTicks, out _);
        if (status == ClaimStatus.Succeeded)
        {
            // After the calendar's change: the cap's entry naming the claim is free again (ActiveLedger.Forget).
            Volatile.Read(ref _active)?.Forget(patient, calendar, reservation.Slots.First, reservation.Token);
        }

        return status == ClaimStatus.Succeeded ? ClaimResult.Success(reservation) : ClaimResult.Failed(status);
    }

    private Calendar? ResolveReservation(in Reservation reservation) => ResolveReservation(reservation, out _, tokensIssuedHere: true);

    /// <summary>
    /// The reservation's calendar, or null when it is stale there: its day is not published, or
    /// <paramref name="notThisCalendars"/>: the day's calendar never issued its token (above the last one
    /// issued: forged, or of a day published again after its retired tokens were forgotten) or replaced
    /// the withdrawn calendar that did (at or below the floor; a negative token lands here too).
    /// </summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="notThisCalendars">Whether it is null because the token is not this calendar's.</param>
    /// <param name="tokensIssuedHere">True when this engine issues the tokens, so its last token is the
    /// last one issued; false for a store's read model, which may lag the store (the store judges).</param>
    private Calendar? ResolveReservation(in Reservation reservation, out bool notThisCalendars, bool tokensIssuedHere)
    {
        notThisCalendars = false;
        if (reservation.IsDefault)
        {
            ThrowDefaultReservation();
        }

        var calendar = FindCalendar(reservation.Calendar);
        if (calendar is null)
        {
            return null;
        }

        if ((tokensIssuedHere && reservation.Token > calendar.LastToken) || reservation.Token <= calendar.TokenFloor)
        {
            // Above the last token: never issued by this calendar (forged, high bits included). At or
            // below the floor: a reservation of a withdrawn calendar that this day replaced. Either way
            // it owns nothing here, and its template may differ, so its slots are not checked.
            notThisCalendars = true;
            return null;
        }

        ValidateRange(calendar, reservation.Slots, withinOneSession: false);
        ValidateSeat(calendar, reservation.Seat);
        return calendar;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void ThrowDefaultReservation() =>
        throw new SlotEngineArgumentException(SlotEngineError.MissingReservation, "The reservation is the default value; pass the one a hold or book returned.", "reservation");
}
