namespace SlotEngine;

/// <summary>
/// One transition, as the audit stream records it: what happened, to which claim (calendar, slots, seat,
/// fencing token, patient key), who acted through which channel, and when. A record is written by the
/// same step that makes the change (SlotEngine.Redis: inside the same script), only for transitions that
/// changed state; refusals change nothing and are not recorded.
/// </summary>
/// <param name="Position">
/// Where the record stands in its stream, strictly increasing: in memory, the engine-wide position
/// (<see cref="InMemorySlotEngine.ReadAudit"/>); in SlotEngine.Redis, the calendar's stream entry id
/// (milliseconds × 2^20 + sequence).
/// </param>
/// <param name="Action">What happened.</param>
/// <param name="Calendar">The calendar.</param>
/// <param name="Slots">The claim's slots.</param>
/// <param name="Seat">The claim's seat.</param>
/// <param name="Token">The claim's fencing token.</param>
/// <param name="Patient">The claim's patient.</param>
/// <param name="Booked">For <see cref="AuditAction.Claim"/> and <see cref="AuditAction.Displace"/>: whether the claim was a booking (not a hold).</param>
/// <param name="HoldExpiresAt">For a <see cref="AuditAction.Claim"/> of a hold: when it expires (for an unapproved booking, its approval deadline); for a <see cref="AuditAction.Confirm"/> that made a hold an unapproved booking: its approval deadline.</param>
/// <param name="Actor">Who acted (for a confirm and a release, which carry no actor: <see cref="SlotEngine.Actor.Patient"/> and <see cref="SlotEngine.Actor.Administrator"/>).</param>
/// <param name="Channel">Through which channel.</param>
/// <param name="At">When, by the engine's clock (SlotEngine.Redis: Redis <c>TIME</c>).</param>
public readonly record struct AuditRecord(
    long Position,
    AuditAction Action,
    CalendarKey Calendar,
    SlotRange Slots,
    int Seat,
    long Token,
    PatientKey Patient,
    bool Booked,
    DateTimeOffset? HoldExpiresAt,
    Actor Actor,
    BookingChannel Channel,
    DateTimeOffset At)
{
    /// <summary>For <see cref="AuditAction.Outcome"/>: the outcome recorded; otherwise 0.</summary>
    public AppointmentOutcome Outcome { get; init; }
}
