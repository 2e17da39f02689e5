namespace SlotEngine;

/// <summary>
/// Atomic reschedule in memory: the target is claimed on behalf of the move, then the moved claim is released with its
/// token; when that release finds the moved claim stale (cancelled, expired, displaced, or moved by a racing call), the
/// target claim is undone.
/// </summary>
/// <remarks>
/// <para><b>Invariants.</b> (1) The appointment has at most two live claims, and two only between the target claim and
/// the release of the moved one (a query may see both for that moment; nobody else can take either). (2) When the move
/// fails, the moved claim is exactly as it was (the move never touched it) and the target claim, if it was made, is
/// released again: "never none when the move failed" holds unless a cancel or expiry of the moved claim won the race,
/// and then the patient asked for none. (3) The patient's quota entries and active-appointment entry count the
/// appointment once: in the moved claim's scope the entry naming it is taken over (claim → pending by CAS, see
/// <see cref="QuotaLedger.TryAcquireForMove"/> and <see cref="ActiveLedger.TryTakeFromClaim"/>), so a patient at the cap
/// or at a daily quota can move within it; a target in another scope or day takes a fresh entry there, and the old
/// scope's entry dies with the moved claim. Pending entries count as used, so no concurrent claim of the patient can pass a
/// limit during the move. (4) Only one of several racing moves of one appointment can release it (the head CAS of the
/// release): the others undo their targets and answer Stale.</para>
/// </remarks>
public sealed partial class InMemorySlotEngine
{
    /// <summary>Moves a live hold or booking to other slots in one operation; see <see cref="ISlotEngine.RescheduleAsync"/>.</summary>
    /// <param name="current">The appointment's reservation.</param>
    /// <param name="target">Where to move it (same patient).</param>
    /// <returns>The new reservation, or why not (nothing changed).</returns>
    /// <exception cref="SlotEngineArgumentException">Bad input: a default reservation, an unknown provider or unpublished target day, slots out of range, a bad hold time, another patient, or an idempotency key reused with another request. Nothing changed.</exception>
    public RescheduleResult TryReschedule(in Reservation current, in ClaimRequest target)
    {
        _rules.ValidateClaim(target);
        if (current.IsDefault)
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingReservation, "The reservation is the default value; pass the one a hold or book returned.", nameof(current));
        }

        if (current.Patient != target.Patient)
        {
            throw new SlotEngineArgumentException(SlotEngineError.ReschedulePatientMismatch, "A reschedule moves one patient's appointment: the target must name the reservation's patient.", nameof(target));
        }

        var to = RequireCalendar(target.Calendar);
        ValidateRange(to, target.Slots, withinOneSession: true);
        var from = ResolveReservation(current);
        var now = NowTicks();
        if (target.IdempotencyKey is null)
        {
            return from is null ? RescheduleResult.Failed(ClaimStatus.Stale) : Move(from, current, to, target, now);
        }

        var record = _idempotency.Begin(target.IdempotencyKey, target, now, _idempotencyRetentionTicks, out var earlier);
        if (record is null)
        {
            return RescheduleResult.Success(earlier.Reservation, current);
        }

        var result = RescheduleResult.Failed(ClaimStatus.Stale);
        try
        {
            if (from is not null)
            {
                result = Move(from, current, to, target, now);
            }

            return result;
        }
        finally
        {
            _idempotency.Complete(target.IdempotencyKey, record, result.Succeeded ? ClaimResult.Success(result.Reservation) : ClaimResult.Failed(result.Status));
        }
    }

    /// <inheritdoc />
    public ValueTask<RescheduleResult> RescheduleAsync(Reservation current, ClaimRequest target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryReschedule(current, target));
    }

    private RescheduleResult Move(Calendar from, in Reservation current, Calendar to, in ClaimRequest target, long now)
    {
        if (!_patients.TryFind(current.Patient, out var patient)
            || !from.TryReadLiveClaim(current.Seat, current.Slots.First, current.Token, patient, now, out var booked, out var heldUntil))
        {
            return RescheduleResult.Failed(ClaimStatus.Stale);
        }

        var time = _rules.CheckTime(to.Day, TodayAt(now), to.Layout.StartUtcTicks(target.Slots.First), now);
        if (time != ClaimStatus.Succeeded)
        {
            return RescheduleResult.Failed(time);
        }

        if (_rules.ChecksBars(target) && _bars.MayBeBarred(patient) && _bars.IsBarred(patient, to.Provider.Clinic.Branch.Value, now))
        {
            return RescheduleResult.Failed(ClaimStatus.Barred);
        }

        var expiry = TargetExpiry(from.Day, booked, heldUntil, to.Day, target, now, out var awaitsApproval);

        // The cap: take over the entry naming the moved claim (or, if none does any more, take a fresh one as a claim does).
        ActiveLedger? ledger = null;
        KeyTable.Place cell = default;
        var active = -1;
        var activeMoved = false;
        if (_rules.MaxActiveAppointments > 0)
        {
            ledger = Volatile.Read(ref _active) ?? InitActive();
            active = ledger.TryTakeFromClaim(patient, from, current.Slots.First, current.Token, out cell);
            activeMoved = active >= 0;
            if (!activeMoved)
            {
                active = ledger.TryTake(patient, TodayAt(now), now, out cell);
                if (active < 0)
                {
                    return RescheduleResult.Failed(ClaimStatus.ActiveLimitReached);
                }
            }
        }

        var fromClaim = QuotaLedger.EncodeClaim(from.Provider.Id, current.Slots.First, current.Token);
        QuotaTickets taken = default, moved = default;
        var claimed = false;
        int seat = -1;
        long token = 0;
        var status = ClaimStatus.QuotaExceeded;
        try
        {
            // With the cap the quotas are counted from its entries. The move's entry stays pending without a target: the
            // patient's other claims count it against every rule while the move runs, so the moved claim, live until the
            // release below and restored if the move fails, is never left out of their count. Its own count passes over
            // that entry, so the moved claim does not count against the target.
            var withinQuotas = _quotasByCap
                ? ledger!.WithinQuotas(cell, active, Options.Quotas, to.Provider.Id, to.Day, TodayAt(now), now)
                : _quotas.TryAcquireForMove(Options.Quotas, patient, to.Provider, to.Day, from.Provider, from.Day, fromClaim, now, out taken, out moved);
            if (withinQuotas)
            {
                status = to.TryClaim(target.Slots.First, target.Slots.Length, patient, expiry, now, out seat, out token, awaitsApproval);
                claimed = status == ClaimStatus.Succeeded;
                if (claimed && expiry != 0)
                {
                    ListHolds(to);
                }
            }
            else if (!_quotasByCap && _quotas.HasPassed(to.Day))
            {
                status = ClaimStatus.InPast; // the target day's quota tables were dropped since this move read the clock
            }

            if (claimed)
            {
                // Step 2: release the moved claim with its token. Stale: it was cancelled, expired or moved meanwhile.
                status = from.Release(current.Seat, current.Slots.First, current.Token, patient, _clock, long.MaxValue, out var removed);
                if (status == ClaimStatus.Succeeded)
                {
                    ledger?.Forget(patient, from, current.Slots.First, current.Token); // an entry still naming it (none when moved with it)
                }

                if (status == ClaimStatus.Succeeded && removed.WasBooked && !booked && expiry != 0)
                {
                    // A confirm of the moved hold landed between the read and the release: the appointment was a booking.
                    to.Confirm(seat, target.Slots.First, token, patient, now);
                    expiry = 0;
                }
            }
        }
        finally
        {
            if (status == ClaimStatus.Succeeded)
            {
                var toClaim = QuotaLedger.EncodeClaim(to.Provider.Id, target.Slots.First, token);
                QuotaLedger.Commit(ref taken, toClaim);
                QuotaLedger.Commit(ref moved, toClaim);
                if (!cell.IsEmpty && expiry == 0)
                {
                    ActiveLedger.CommitBooked(cell, active, to, target.Slots.First, token, now);
                }
                else if (!cell.IsEmpty && awaitsApproval)
                {
                    ActiveLedger.CommitAwaiting(cell, active, to, target.Slots.First, token, now);
                }
                else if (!cell.IsEmpty)
                {
                    ActiveLedger.Commit(cell, active, to, target.Slots.First, token);
                }
            }
            else
            {
                if (claimed)
                {
                    to.Release(seat, target.Slots.First, token, patient, _clock, long.MaxValue, out _);
                }

                QuotaLedger.Abort(ref taken);
                QuotaLedger.Commit(ref moved, fromClaim);
                if (!cell.IsEmpty)
                {
                    if (activeMoved)
                    {
                        ActiveLedger.Commit(cell, active, from, current.Slots.First, current.Token);
                    }
                    else
                    {
                        ActiveLedger.Abort(cell, active);
                    }
                }
            }
        }

        if (status != ClaimStatus.Succeeded)
        {
            return RescheduleResult.Failed(status == ClaimStatus.CancelTooLate ? ClaimStatus.Stale : status);
        }

        var moved2 = new Reservation(to.Key, target.Slots, seat, token, target.Patient, expiry == 0 ? null : new DateTimeOffset(expiry, TimeSpan.Zero));
        if (_audit is not null)
        {
            var at = new DateTimeOffset(now, TimeSpan.Zero);
            _audit.Append(new AuditRecord(0, AuditAction.Claim, moved2.Calendar, moved2.Slots, seat, token, moved2.Patient, expiry == 0, moved2.HoldExpiresAt, target.Actor, target.Channel, at));
            _audit.Append(new AuditRecord(0, AuditAction.Release, current.Calendar, current.Slots, current.Seat, current.Token, current.Patient, false, null, target.Actor, target.Channel, at));
        }

        OfferFreed(current.Calendar, Options.TimeProvider.GetTimestamp()); // the old slots go to the waitlist, as any release
        return RescheduleResult.Success(moved2, current);
    }

    /// <summary>
    /// What the target becomes (UTC ticks of a hold's expiry; 0 for a booking): a booking, or a booking awaiting approval
    /// (a hold expiring exactly at its day's approval deadline), is booked on the target as a direct booking made now, so
    /// the target day's approval rules apply (SlotEngine.Redis books it with the same claim script); a hold stays a hold,
    /// until the moved hold expired or for the target's HoldFor. <paramref name="awaitsApproval"/>: the target is then an
    /// unapproved booking (its head carries the approval bit, as a direct claim's does).
    /// </summary>
    private long TargetExpiry(DateOnly fromDay, bool booked, long heldUntil, DateOnly toDay, in ClaimRequest target, long now, out bool awaitsApproval)
    {
        var (_, deadline) = _rules.ApprovalOf(fromDay);
        if (booked || (deadline != 0 && heldUntil == deadline))
        {
            var expiry = _rules.ApprovalDeadlineUtcTicks(target with { HoldFor = null }, toDay, now);
            awaitsApproval = expiry != 0;
            return expiry;
        }

        awaitsApproval = false;
        return target.HoldFor is { } ttl ? now + ttl.Ticks : heldUntil;
    }
}
