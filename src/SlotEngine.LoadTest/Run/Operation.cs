namespace SlotEngine.LoadTest.Run;

/// <summary>What the generator times.</summary>
internal enum Operation
{
    /// <summary>FindEarliest for a city and branch.</summary>
    Search = 0,

    /// <summary>A hold (claim with a time to live).</summary>
    Hold,

    /// <summary>Confirming a hold into a booking.</summary>
    Confirm,

    /// <summary>A patient's cancel of a booking.</summary>
    Cancel,

    /// <summary>A citizen's whole booking, first search to confirm, retries included (from the scheduled arrival in open loop).</summary>
    Booking,
}

/// <summary>Why an operation did not succeed.</summary>
internal enum FailureReason
{
    /// <summary>Someone else took the slot between the search and the hold.</summary>
    Taken = 0,

    /// <summary>The slot was closed.</summary>
    Closed,

    /// <summary>The slot had started.</summary>
    InPast,

    /// <summary>The day had left the booking window.</summary>
    OutsideBookingWindow,

    /// <summary>The citizen's quota (one per clinic per day, two per facility per day) was full.</summary>
    QuotaExceeded,

    /// <summary>The hold had expired at confirm.</summary>
    HoldExpired,

    /// <summary>The fencing token no longer owned the slot.</summary>
    Stale,

    /// <summary>The patient's cancel came within 80 minutes of the start.</summary>
    CancelTooLate,

    /// <summary>The search found no free slot for the city and branch.</summary>
    NoFreeSlot,

    /// <summary>The citizen gave up after the maximum number of searches.</summary>
    GaveUp,

    /// <summary>The engine threw (bad input or a backend error); the message is kept.</summary>
    Error,
}

/// <summary>Names and conversions.</summary>
internal static class OperationNames
{
    /// <summary>Number of operations.</summary>
    public const int Count = 5;

    /// <summary>Number of failure reasons.</summary>
    public const int ReasonCount = 11;

    /// <summary>The lower-case name used in reports and JSON.</summary>
    /// <param name="operation">The operation.</param>
    /// <returns>Its name.</returns>
    public static string Name(Operation operation) => operation switch
    {
        Operation.Search => "search",
        Operation.Hold => "hold",
        Operation.Confirm => "confirm",
        Operation.Cancel => "cancel",
        _ => "booking",
    };

    /// <summary>The snake_case name of a reason.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>Its name.</returns>
    public static string Name(FailureReason reason) => reason switch
    {
        FailureReason.Taken => "taken",
        FailureReason.Closed => "closed",
        FailureReason.InPast => "in_past",
        FailureReason.OutsideBookingWindow => "outside_booking_window",
        FailureReason.QuotaExceeded => "quota_exceeded",
        FailureReason.HoldExpired => "hold_expired",
        FailureReason.Stale => "stale",
        FailureReason.CancelTooLate => "cancel_too_late",
        FailureReason.NoFreeSlot => "no_free_slot",
        FailureReason.GaveUp => "gave_up",
        _ => "error",
    };

    /// <summary>The reason for an engine status other than success.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The reason.</returns>
    public static FailureReason ReasonOf(ClaimStatus status) => status switch
    {
        ClaimStatus.Taken => FailureReason.Taken,
        ClaimStatus.Closed => FailureReason.Closed,
        ClaimStatus.InPast => FailureReason.InPast,
        ClaimStatus.OutsideBookingWindow => FailureReason.OutsideBookingWindow,
        ClaimStatus.QuotaExceeded => FailureReason.QuotaExceeded,
        ClaimStatus.HoldExpired => FailureReason.HoldExpired,
        ClaimStatus.Stale => FailureReason.Stale,
        ClaimStatus.CancelTooLate => FailureReason.CancelTooLate,
        _ => FailureReason.Error,
    };
}
