namespace SlotEngine;

/// <summary>What an <see cref="AuditRecord"/> records. The numeric values are part of the stored format (SlotEngine.Redis writes them); never renumber.</summary>
public enum AuditAction
{
    /// <summary>A hold or a booking was made.</summary>
    Claim = 1,

    /// <summary>A hold became a booking.</summary>
    Confirm = 2,

    /// <summary>A hold or a booking was released with no cutoff (the system's own undo).</summary>
    Release = 3,

    /// <summary>A hold or a booking was cancelled (by the patient within the cutoff, or by an administrator).</summary>
    Cancel = 4,

    /// <summary>A block or a withdraw displaced a live hold or booking.</summary>
    Displace = 5,

    /// <summary>An outcome was recorded for a booking (<see cref="AuditRecord.Outcome"/>); the claim is unchanged.</summary>
    Outcome = 6,
}
