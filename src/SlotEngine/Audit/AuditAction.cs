namespace SlotEngine;

/// <summary>What an <see cref="AuditRecord"/> records. The numeric values are part of the stored format (SlotEngine.Redis writes them); never renumber.</summary>
public enum AuditAction
{
    /// <summary>A hold or a booking was made.</summary>
    Claim = 1,

    /// <summary>
    /// A hold became a booking; or, under <see cref="SlotEngineOptions.Approval"/>, an unapproved booking (then
    /// <see cref="AuditRecord.HoldExpiresAt"/> is its approval deadline and <see cref="AuditRecord.Booked"/> is false).
    /// </summary>
    Confirm = 2,

    /// <summary>A hold or a booking was released with no cutoff (the system's own undo).</summary>
    Release = 3,

    /// <summary>A hold or a booking was cancelled (by the patient within the cutoff, or by an administrator).</summary>
    Cancel = 4,

    /// <summary>A block or a withdraw displaced a live hold or booking.</summary>
    Displace = 5,

    /// <summary>An outcome was recorded for a booking (<see cref="AuditRecord.Outcome"/>); the claim is unchanged.</summary>
    Outcome = 6,

    /// <summary>An unapproved booking (or a live hold) was approved (<see cref="ISlotEngine.ApproveAsync"/>): it is a plain booking now.</summary>
    Approve = 7,

    /// <summary>An unapproved booking reached its approval deadline and was released (by a claim that met it or by a sweep).</summary>
    ApprovalLapsed = 8,
}
