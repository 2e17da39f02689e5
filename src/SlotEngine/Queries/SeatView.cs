namespace SlotEngine;

/// <summary>One seat of one slot in a <see cref="CalendarSnapshot"/>.</summary>
/// <param name="Status">Its state.</param>
/// <param name="Owner">The patient holding or booking it, or the default value.</param>
/// <param name="Token">The fencing token of the claim on it, or 0.</param>
/// <param name="HoldExpiresAt">For a hold, when it expires.</param>
public readonly record struct SeatView(SlotStatus Status, PatientKey Owner, long Token, DateTimeOffset? HoldExpiresAt);
