namespace SlotEngine;

/// <summary>What was wrong with a request that the engine refused as bad input.</summary>
public enum SlotEngineError
{
    /// <summary>The provider is not registered.</summary>
    UnknownProvider = 1,

    /// <summary>The clinic is not registered.</summary>
    UnknownClinic,

    /// <summary>The facility is not registered.</summary>
    UnknownFacility,

    /// <summary>The provider's day is not published.</summary>
    DayNotPublished,

    /// <summary>A slot index lies outside the day.</summary>
    SlotOutOfRange,

    /// <summary>A length (number of slots) is zero, negative or too large.</summary>
    InvalidLength,

    /// <summary>The slots run from one session into the next.</summary>
    CrossesSession,

    /// <summary>A hold's time to live is zero, negative or above the allowed maximum.</summary>
    InvalidHoldDuration,

    /// <summary>The patient is the default value.</summary>
    MissingPatient,

    /// <summary>The reservation is the default value.</summary>
    MissingReservation,

    /// <summary>A day is published again with another template.</summary>
    TemplateConflict,

    /// <summary>An idempotency key was reused with other parameters.</summary>
    IdempotencyKeyReused,

    /// <summary>The provider has as many open days as the engine holds per provider.</summary>
    TooManyOpenDays,

    /// <summary>A registration conflicts with an earlier one.</summary>
    RegistrationConflict,

    /// <summary>A date range ends before it starts.</summary>
    InvalidDateRange,

    /// <summary>A result count is out of range.</summary>
    InvalidCount,

    /// <summary>A seat index is out of range.</summary>
    SeatOutOfRange,

    /// <summary>The calendar has issued all the fencing tokens it can (about 536 million claims).</summary>
    TokensExhausted,

    /// <summary>
    /// A national ID (T.C. Kimlik No) is malformed: not 11 digits, a leading 0, or a wrong check
    /// digit. Thrown by <see cref="NationalId.Parse(string)"/>; the message says which rule failed.
    /// </summary>
    MalformedNationalId,

    /// <summary>
    /// A reservation code is not one this engine's secret signed: malformed, truncated, of an unknown
    /// version, tampered with, or signed under another secret (<see cref="ReservationCodeError"/> says which).
    /// </summary>
    InvalidReservationCode,

    /// <summary>A call-centre claim has no <see cref="ClaimRequest.CallId"/> while a per-call limit is set.</summary>
    MissingCallId,

    /// <summary>A <see cref="ClaimRequest.CallId"/> is empty, too long, or contains <c>{</c> or <c>}</c>.</summary>
    InvalidCallId,

    /// <summary>An <see cref="AppointmentOutcome"/> that is not one of its defined values.</summary>
    InvalidOutcome,

    /// <summary>A wish was registered while the waitlist is off (<see cref="SlotEngineOptions.Waitlist"/>).</summary>
    WaitlistOff,

    /// <summary>A wish is malformed: no patient, a priority group out of range, a scope with neither clinic nor city and branch, or an offer window longer than the longest hold.</summary>
    InvalidWish,

    /// <summary>A <see cref="ClaimRequest.Pool"/> (or a <see cref="ReservedCapacity"/> pool) is empty, too long, or contains <c>{</c> or <c>}</c>.</summary>
    InvalidPool,

    /// <summary>A reschedule's target names another patient than the reservation it moves.</summary>
    ReschedulePatientMismatch,
}
