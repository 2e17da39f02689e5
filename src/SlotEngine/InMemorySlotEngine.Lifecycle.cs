namespace SlotEngine;

public sealed partial class InMemorySlotEngine : IAuditSource
{
    private readonly CallLedger _calls = new();
    private readonly AuditLog? _audit;

    /// <summary><see cref="SlotEngineOptions.AuditMaxRecords"/>, read once (0: off).</summary>
    private readonly int _auditMaxRecords;
    private ActiveLedger? _active;

    /// <summary>How many audit records have been appended (0 when <see cref="SlotEngineOptions.Audit"/> is off).</summary>
    public long AuditCount => _audit?.Count ?? 0;

    /// <summary>
    /// Reads the engine-wide audit stream from a position, in order, stopping at the first record not yet
    /// completely written (so a later read from where this one stopped continues without a gap). Positions
    /// before the first kept one (<see cref="TrimAudit"/>) are skipped. Allocates nothing.
    /// </summary>
    /// <param name="from">The first position to read (0 for the start).</param>
    /// <param name="destination">Where to copy the records.</param>
    /// <returns>How many were copied; 0 when audit is off or nothing is new.</returns>
    public int ReadAudit(long from, Span<AuditRecord> destination) => _audit?.Read(from, destination) ?? 0;

    /// <summary>Lets the engine forget audit records before a position (whole segments of 512 records at a time), once the host has read them.</summary>
    /// <param name="position">The first position the host still needs.</param>
    public void TrimAudit(long position) => _audit?.TrimBefore(position);

    /// <summary>The retention of <see cref="SlotEngineOptions.AuditMaxRecords"/>, applied by each sweep: forgets records older than the newest that many.</summary>
    private void TrimAuditToMaxRecords()
    {
        if (_auditMaxRecords > 0 && _audit is { } audit)
        {
            audit.TrimBefore(audit.Count - _auditMaxRecords);
        }
    }

    /// <inheritdoc />
    /// <remarks>In memory this scans the engine-wide stream from <paramref name="after"/>; a host that follows every calendar reads <see cref="ReadAudit"/> instead.</remarks>
    public ValueTask<IReadOnlyList<AuditRecord>> ReadAuditAsync(CalendarKey calendar, long after, int max, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var found = new List<AuditRecord>();
        var buffer = new AuditRecord[256];
        var from = after + 1;
        while (found.Count < max)
        {
            var read = ReadAudit(from, buffer);
            if (read == 0)
            {
                break;
            }

            for (var i = 0; i < read && found.Count < max; i++)
            {
                if (buffer[i].Calendar == calendar)
                {
                    found.Add(buffer[i]);
                }
            }

            from = buffer[read - 1].Position + 1;
        }

        return new(found);
    }

    /// <summary>
    /// The claim with its actor's limits: when the request counts against a call's limit, one of the call's
    /// places is taken before the calendar is touched (refused with <see cref="ClaimStatus.CallLimitReached"/>
    /// when none is left) and given back when the claim fails. A successful claim is audited before it returns.
    /// </summary>
    private ClaimResult ClaimWithActorLimits(Calendar calendar, in ClaimRequest request, long now, uint? patientIndex)
    {
        if (!_rules.CountsAgainstCall(request))
        {
            return AuditedClaim(request, ClaimWithinCap(calendar, request, now, patientIndex), now);
        }

        var place = _calls.TryTake(request.CallId!, _rules.MaxClaimsPerCall, now, _rules.CallRetention.Ticks);
        if (place is null)
        {
            return ClaimResult.Failed(ClaimStatus.CallLimitReached);
        }

        var result = ClaimResult.Failed(ClaimStatus.Taken);
        try
        {
            result = ClaimWithinCap(calendar, request, now, patientIndex);
            return AuditedClaim(request, result, now);
        }
        finally
        {
            if (!result.Succeeded)
            {
                CallLedger.GiveBack(place);
            }
        }
    }

    /// <summary>
    /// The claim within the patient's bars (<see cref="BookingRules.ChecksBars"/>: refused with <see cref="ClaimStatus.Barred"/>)
    /// and cap on live future appointments (<see cref="BookingRules.MaxActiveAppointments"/>): an entry of the patient's is taken before the calendar is touched and names the claim after it, or is freed
    /// when the claim fails (see <see cref="ActiveLedger"/>).
    /// </summary>
    private ClaimResult ClaimWithinCap(Calendar calendar, in ClaimRequest request, long now, uint? patientIndex)
    {
        var limit = _rules.MaxActiveAppointments;
        var checksBars = _rules.ChecksBars(request);
        if (limit == 0 && !checksBars)
        {
            return ClaimOnCalendar(calendar, request, now, patientIndex);
        }

        // One directory lookup for the bar, the cap and the calendar step (passed on below), unless admission made it.
        var patient = patientIndex ?? _patients.IndexOf(request.Patient);
        // The patient's bit first: a patient never barred (almost every claim) reads neither the calendar's branch (three
        // dependent loads: provider, clinic, branch) nor the bar dictionary.
        if (checksBars && _bars.MayBeBarred(patient) && _bars.IsBarred(patient, calendar.Provider.Clinic.Branch.Value, now))
        {
            return ClaimResult.Failed(ClaimStatus.Barred);
        }

        if (limit == 0)
        {
            return ClaimOnCalendar(calendar, request, now, patient);
        }

        var ledger = Volatile.Read(ref _active) ?? InitActive();
        var entry = ledger.TryTake(patient, TodayAt(now), now, out var cell);
        if (entry < 0)
        {
            return ClaimResult.Failed(ClaimStatus.ActiveLimitReached);
        }

        var result = ClaimResult.Failed(ClaimStatus.Taken);
        try
        {
            result = ClaimOnCalendar(calendar, request, now, patient, cell, _quotasByCap ? entry : -1);
        }
        finally
        {
            if (result.Succeeded && result.Reservation.HoldExpiresAt is null)
            {
                ActiveLedger.CommitBooked(cell, entry, calendar, request.Slots.First, result.Reservation.Token, now);
            }
            else if (result.Succeeded && request.HoldFor is null)
            {
                // A booking awaiting approval (a hold until its day's deadline): trusted until that deadline.
                ActiveLedger.CommitAwaiting(cell, entry, calendar, request.Slots.First, result.Reservation.Token, now);
            }
            else if (result.Succeeded)
            {
                ActiveLedger.Commit(cell, entry, calendar, request.Slots.First, result.Reservation.Token);
            }
            else
            {
                ActiveLedger.Abort(cell, entry);
            }
        }

        return result;
    }

    /// <summary>
    /// Whether the patient is at the active-appointment cap (<see cref="SlotEngineOptions.MaxActiveAppointments"/>) by
    /// bookings the engine trusts without reading their calendars: every one of the patient's places holds a plain booking
    /// of today or later, or a booking awaiting approval before its deadline. A booking site asks this before it shows a
    /// citizen the search, so that a citizen who cannot book more is told at once instead of searching and claiming only
    /// to be refused with <see cref="ClaimStatus.ActiveLimitReached"/>. One read of the patient's directory line (the
    /// claim that may follow finds it in the cache); allocates nothing; lock-free.
    /// </summary>
    /// <remarks>
    /// Advisory, never a promise: the claim decides, atomically. True means a claim made now is refused unless one of
    /// those bookings is cancelled, released or moved first. False when the cap is off, the patient has never claimed, or
    /// any place is free, in flight, a hold, of a past day, or awaiting approval past its deadline — the claim judges
    /// those on their calendars and may still refuse.
    /// </remarks>
    /// <param name="patient">The patient.</param>
    /// <returns>True when a claim now would be refused for the cap by the patient's trusted bookings alone.</returns>
    public bool IsAtActiveCap(PatientKey patient)
    {
        if (Volatile.Read(ref _active) is not { } ledger || !_patients.TryFind(patient, out _, out var place))
        {
            return false; // no cap (or no claim under it yet), or a patient who never claimed
        }

        var now = NowTicks();
        return ledger.IsFullOfTrustedBookings(place, TodayAt(now), now);
    }

    private ActiveLedger InitActive()
    {
        // Publishes the ledger once: only the CAS from null wins; every caller then reads the winner's ledger.
        Interlocked.CompareExchange(ref _active, new ActiveLedger(_rules.MaxActiveAppointments, _patients, _admits ? AdmissionTable.PayloadLength : 0, Directory, _rules), null);
        return _active!;
    }

    /// <summary>How many live future appointments a patient holds by the cap's count (tests).</summary>
    internal int ActiveCountOf(PatientKey patient)
    {
        var now = NowTicks();
        return Volatile.Read(ref _active)?.LiveCount(_patients.IndexOf(patient), TodayAt(now), now) ?? 0;
    }

    private ClaimResult AuditedClaim(in ClaimRequest request, in ClaimResult result, long now)
    {
        if (_audit is not null && result.Succeeded)
        {
            var r = result.Reservation;
            var expiry = r.HoldExpiresAt?.UtcTicks ?? 0;
            _audit.Append(AuditAction.Claim, r.Calendar, r.Slots, r.Seat, r.Token, r.Patient, expiry == 0, expiry, request.Actor, request.Channel, now);
        }

        return result;
    }

    private ClaimResult Audited(AuditAction action, Actor actor, in ClaimResult result)
    {
        if (_audit is not null && result.Succeeded)
        {
            AuditTransition(action, result.Reservation, actor, NowTicks());
        }

        return result;
    }

    private void AuditTransition(AuditAction action, in Reservation r, Actor actor, long now) =>
        _audit?.Append(action, r.Calendar, r.Slots, r.Seat, r.Token, r.Patient, false, 0, actor, BookingChannel.Web, now);

    private void AuditDisplaced(in DisplacedClaim displaced)
    {
        if (_audit is not null)
        {
            var r = displaced.Reservation;
            _audit.Append(AuditAction.Displace, r.Calendar, r.Slots, r.Seat, r.Token, r.Patient, displaced.WasBooked, 0, Actor.Administrator, BookingChannel.Web, NowTicks());
        }
    }
}
