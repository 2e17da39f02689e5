namespace SlotEngine.Hosting;

/// <summary>Attendance outcomes and bars: passed through (their counts are the engine's audit stream).</summary>
public sealed partial class InstrumentedSlotEngine
{
    /// <inheritdoc />
    public ValueTask<ClaimResult> RecordOutcomeAsync(Reservation reservation, AppointmentOutcome outcome, CancellationToken cancellationToken = default) =>
        _inner.RecordOutcomeAsync(reservation, outcome, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> LiftBarAsync(PatientKey patient, BranchId branch, CancellationToken cancellationToken = default) =>
        _inner.LiftBarAsync(patient, branch, cancellationToken);
}
