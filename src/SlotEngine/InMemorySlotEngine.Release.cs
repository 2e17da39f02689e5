namespace SlotEngine;

/// <summary>
/// At the rush (issue 12): scheduled, staggered release (<see cref="SlotEngineOptions.Release"/>), reserved capacity
/// (<see cref="SlotEngineOptions.Reserved"/>) and the per-patient admission rate (<see cref="SlotEngineOptions.Admission"/>).
/// Each is off unless its policy is set, and then costs the claim path one branch.
/// </summary>
public sealed partial class InMemorySlotEngine
{
    private ReleasePolicy? _release;
    private ReservedCapacity? _reserved;
    private AdmissionTable? _admission;

    /// <summary>Reads the rush policies once (called by the constructor).</summary>
    private void InitRush()
    {
        _release = Options.Release.IsEnabled ? Options.Release : null;
        _reserved = Options.Reserved.IsEnabled ? Options.Reserved : null;
        _admission = Options.Admission.IsEnabled ? new AdmissionTable(Options.Admission, Options.ExpectedPatients) : null;
    }

    /// <summary>When <paramref name="day"/> opens for a claim like <paramref name="request"/> (its patient's cohort); <see cref="DateTimeOffset.MinValue"/> when days open at once.</summary>
    /// <param name="day">The day.</param>
    /// <param name="request">A claim (its patient and birth year choose the cohort).</param>
    /// <returns>The instant.</returns>
    public DateTimeOffset OpensAt(DateOnly day, in ClaimRequest request) => _release is null
        ? DateTimeOffset.MinValue
        : new DateTimeOffset(_release.OpensAtUtcTicks(day, request.Patient, request.BirthYear, _zone), TimeSpan.Zero);

    /// <summary>The admission step: takes one of the patient's attempts (false: <see cref="ClaimStatus.RateLimited"/>).</summary>
    private bool Admit(in ClaimRequest request, long now) => _admission is null || _admission.TryAdmit(request.Patient, now);

    /// <summary>The release step: NotYetOpen before the patient's cohort opens the day, else Succeeded.</summary>
    private ClaimStatus CheckRelease(Calendar calendar, in ClaimRequest request, long now) =>
        _release is not null && now < _release.OpensAtUtcTicks(calendar.Day, request.Patient, request.BirthYear, _zone)
            ? ClaimStatus.NotYetOpen
            : ClaimStatus.Succeeded;

    /// <summary>The calendar step with reserved capacity: which seats the claim may try (see <see cref="ReservedCapacity"/>).</summary>
    private ClaimStatus ClaimSeats(Calendar calendar, in ClaimRequest request, uint patient, long expiry, long now, out int seat, out long token)
    {
        var reserved = _reserved;
        var first = request.Slots.First;
        var length = request.Slots.Length;
        if (reserved is null || !reserved.Touches(request.Slots) || now >= calendar.Layout.DayStartUtcTicks - reserved.ReleaseBefore.Ticks)
        {
            return calendar.TryClaim(first, length, patient, expiry, now, out seat, out token);
        }

        if (reserved.IsPoolClaim(request))
        {
            return calendar.TryClaimSeats(first, length, patient, expiry, now, calendar.Capacity, topDown: true, out seat, out token);
        }

        var open = calendar.Capacity - Math.Min(reserved.Seats, calendar.Capacity);
        if (open == 0)
        {
            seat = -1;
            token = 0;
            return ClaimStatus.ReservedForPool;
        }

        return calendar.TryClaimSeats(first, length, patient, expiry, now, open, topDown: false, out seat, out token);
    }

    /// <summary>Whether a search must leave out reserved seats on a day: a reservation not yet released, and a searcher without its pool.</summary>
    private bool HidesReserved(EarliestQuery query, DayLayout layout, long now) =>
        _reserved is { } reserved
        && now < layout.DayStartUtcTicks - reserved.ReleaseBefore.Ticks
        && !string.Equals(query.Pool, reserved.Pool, StringComparison.Ordinal);
}
