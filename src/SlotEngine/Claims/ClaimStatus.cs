namespace SlotEngine;

/// <summary>
/// The outcome of a claim, confirm, release or cancel. Expected outcomes are results, not
/// exceptions; only bad input throws (see <see cref="SlotEngineArgumentException"/>).
/// </summary>
public enum ClaimStatus
{
    /// <summary>The operation took effect (or, for an idempotent retry, had already taken effect).</summary>
    Succeeded = 0,

    /// <summary>At least one requested slot is held or booked by someone else (on every seat, when capacity is above 1).</summary>
    Taken,

    /// <summary>At least one requested slot is closed: blocked, or not offered (for example, in a daylight-saving gap).</summary>
    Closed,

    /// <summary>The slot starts at or before the current time.</summary>
    InPast,

    /// <summary>The day is before the earliest bookable day or after the booking horizon.</summary>
    OutsideBookingWindow,

    /// <summary>The patient already has as many claims as a quota allows (for example one per clinic per day).</summary>
    QuotaExceeded,

    /// <summary>Confirm found that the hold had expired; the slot may have been taken by someone else.</summary>
    HoldExpired,

    /// <summary>The reservation's fencing token no longer owns the slots: they were released, expired and retaken, or blocked.</summary>
    Stale,

    /// <summary>A patient's cancel came later than the cancel cutoff (80 minutes before the start, by default).</summary>
    CancelTooLate,

    /// <summary>The call (<see cref="ClaimRequest.CallId"/>) has made as many claims as <see cref="ActorPolicy.MaxClaimsPerCall"/> allows.</summary>
    CallLimitReached,

    /// <summary>The patient already has as many live future appointments (holds and bookings of today or later) as <see cref="SlotEngineOptions.MaxActiveAppointments"/> allows.</summary>
    ActiveLimitReached,

    /// <summary>The patient is barred from the calendar's branch after a missed appointment (<see cref="SlotEngineOptions.Bars"/>) and declared no exempt attribute.</summary>
    Barred,

    /// <summary>The booking awaited approval (<see cref="SlotEngineOptions.Approval"/>) and its deadline has passed: its slots were offered again.</summary>
    ApprovalLapsed,

    /// <summary>The day has not opened yet for the patient's cohort (<see cref="SlotEngineOptions.Release"/>); it opens at <see cref="ReleasePolicy.OpensAt"/>.</summary>
    NotYetOpen,

    /// <summary>The slots are reserved for a pool the claim does not carry (<see cref="SlotEngineOptions.Reserved"/>) and no unreserved seat exists for them until the release.</summary>
    ReservedForPool,

    /// <summary>The patient has made more claim attempts than <see cref="SlotEngineOptions.Admission"/> allows; nothing changed.</summary>
    RateLimited,

    /// <summary>Another move of the same appointment is under way (SlotEngine.Redis: its move intent is not settled yet); the appointment is unchanged. Retry.</summary>
    MoveInProgress,
}
