namespace SlotEngine;

/// <summary>
/// The result of <see cref="ISlotEngine.RescheduleAsync"/>: the appointment's new reservation when it moved, or why not.
/// </summary>
/// <remarks>
/// The target is claimed as the current claim was: a booking, or one awaiting approval (<see cref="SlotEngineOptions.Approval"/>),
/// is booked on the target as a direct booking made now, so the approval rules of the target's day apply (a move to a day
/// far ahead needs approval again); a hold stays a hold, expiring when the current one did, or after
/// <see cref="ClaimRequest.HoldFor"/> from now when the target sets it. A failed move leaves the current claim as it was;
/// <see cref="ClaimStatus.Stale"/> means the current claim was no longer live (released, expired, displaced, or moved
/// by another call).
/// </remarks>
/// <param name="Status">What happened: <see cref="ClaimStatus.Succeeded"/>, <see cref="ClaimStatus.Stale"/>, the target's refusal
/// (<see cref="ClaimStatus.Taken"/>, <see cref="ClaimStatus.Closed"/>, <see cref="ClaimStatus.InPast"/>, <see cref="ClaimStatus.OutsideBookingWindow"/>,
/// <see cref="ClaimStatus.QuotaExceeded"/>, <see cref="ClaimStatus.Barred"/>), or <see cref="ClaimStatus.MoveInProgress"/>.</param>
/// <param name="Reservation">The new reservation when the move succeeded; otherwise the default value.</param>
/// <param name="Previous">The reservation that was moved (released by the move) when it succeeded; otherwise the default value.</param>
public readonly record struct RescheduleResult(ClaimStatus Status, Reservation Reservation, Reservation Previous)
{
    /// <summary>Whether the appointment moved (or, for an idempotent retry, had moved).</summary>
    public bool Succeeded => Status == ClaimStatus.Succeeded;

    /// <summary>A failed move: nothing changed.</summary>
    /// <param name="status">The reason.</param>
    /// <returns>The result.</returns>
    public static RescheduleResult Failed(ClaimStatus status) => new(status, default, default);

    /// <summary>A successful move.</summary>
    /// <param name="moved">The new reservation.</param>
    /// <param name="previous">The released one.</param>
    /// <returns>The result.</returns>
    public static RescheduleResult Success(Reservation moved, Reservation previous) => new(ClaimStatus.Succeeded, moved, previous);

    /// <inheritdoc />
    public override string ToString() => Succeeded ? "Moved: " + Previous + " -> " + Reservation : Status.ToString();
}
