namespace SlotEngine;

public sealed partial class InMemorySlotEngine
{
    private readonly BarTable _bars = new();

    /// <summary>
    /// Records what became of a booking; a no-show or a visit elsewhere bars the patient from the booking's branch for
    /// <see cref="BarPolicy.Period"/> from now when bars are on. The outcome is audited; the booking is unchanged. A
    /// repeated no-show moves the bar's end to the later one.
    /// </summary>
    /// <param name="reservation">The booking's reservation.</param>
    /// <param name="outcome">What became of it.</param>
    /// <returns>Succeeded, or Stale when the reservation is not a live booking (released, a hold, another patient's).</returns>
    /// <exception cref="SlotEngineArgumentException">The outcome is not a defined value, or the reservation is the default value or names slots or a seat outside its calendar.</exception>
    public ClaimResult TryRecordOutcome(in Reservation reservation, AppointmentOutcome outcome)
    {
        BookingRules.ValidateOutcome(outcome);
        var calendar = ResolveReservation(reservation);
        if (calendar is null || !_patients.TryFind(reservation.Patient, out var patient)
            || !calendar.IsBookedBy(reservation.Seat, reservation.Slots.First, reservation.Token, patient))
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var now = NowTicks();
        if (outcome != AppointmentOutcome.Attended && _rules.BarPeriod > TimeSpan.Zero)
        {
            _bars.Bar(patient, calendar.Provider.Clinic.Branch.Value, now + _rules.BarPeriod.Ticks);
        }

        if (_audit is not null)
        {
            var r = reservation;
            _audit.Append(new AuditRecord(0, AuditAction.Outcome, r.Calendar, r.Slots, r.Seat, r.Token, r.Patient, true, null, Actor.Administrator, BookingChannel.Web, new DateTimeOffset(now, TimeSpan.Zero)) { Outcome = outcome });
        }

        return ClaimResult.Success(reservation with { HoldExpiresAt = null });
    }

    /// <summary>Lifts a patient's bar on a branch.</summary>
    /// <param name="patient">The patient.</param>
    /// <param name="branch">The branch.</param>
    /// <returns>Whether a bar was in force.</returns>
    public bool LiftBar(PatientKey patient, BranchId branch) =>
        _patients.TryFind(patient, out var index) && _bars.Lift(index, branch.Value, NowTicks());

    /// <inheritdoc />
    public ValueTask<ClaimResult> RecordOutcomeAsync(Reservation reservation, AppointmentOutcome outcome, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryRecordOutcome(reservation, outcome));
    }

    /// <inheritdoc />
    public ValueTask<bool> LiftBarAsync(PatientKey patient, BranchId branch, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(LiftBar(patient, branch));
    }
}
