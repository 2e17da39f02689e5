namespace SlotEngine.Hosting;

/// <summary>
/// The names SlotEngine's telemetry is published under, for OpenTelemetry and other listeners:
/// <c>.AddMeter(SlotEngineTelemetry.MeterName)</c> and <c>.AddSource(SlotEngineTelemetry.ActivitySourceName)</c>.
/// </summary>
/// <remarks>
/// Instruments follow the OpenTelemetry conventions: lower-case dotted names, durations as histograms
/// in seconds, counts as counters with a <c>{unit}</c> annotation, low-cardinality tags only. No tag,
/// log line or trace ever carries a national ID or a patient key.
/// </remarks>
public static class SlotEngineTelemetry
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/>: <c>SlotEngine</c>. The Redis store records its
    /// own instruments (<c>slotengine.redis.*</c>, named by <c>SlotEngine.Redis.RedisSlotEngineTelemetry</c>) on a meter
    /// of the same name, so one <c>.AddMeter("SlotEngine")</c> collects both.
    /// </summary>
    public const string MeterName = "SlotEngine";

    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/>: <c>SlotEngine</c>.</summary>
    public const string ActivitySourceName = "SlotEngine";

    /// <summary>
    /// Counter <c>slotengine.claims</c> (<c>{claim}</c>): every hold, book, confirm, release and cancel, tagged with
    /// <see cref="OperationTag"/> and <see cref="ClaimStatusTag"/>; failures by reason are the measurements whose status is not <c>succeeded</c>.
    /// </summary>
    public const string Claims = "slotengine.claims";

    /// <summary>Histogram <c>slotengine.claim.duration</c> (s): how long a hold or book took, tagged with operation and status.</summary>
    public const string ClaimDuration = "slotengine.claim.duration";

    /// <summary>Histogram <c>slotengine.confirm.duration</c> (s): how long a confirm took, tagged with status.</summary>
    public const string ConfirmDuration = "slotengine.confirm.duration";

    /// <summary>Histogram <c>slotengine.release.duration</c> (s): how long a release or cancel took, tagged with operation and status.</summary>
    public const string ReleaseDuration = "slotengine.release.duration";

    /// <summary>Histogram <c>slotengine.query.duration</c> (s): how long a query took, tagged with <see cref="QueryTag"/>.</summary>
    public const string QueryDuration = "slotengine.query.duration";

    /// <summary>Counter <c>slotengine.holds.expired</c> (<c>{hold}</c>): expired holds reclaimed by sweeps (holds taken over lazily by a later claim are not counted).</summary>
    public const string HoldsExpired = "slotengine.holds.expired";

    /// <summary>
    /// Observable counter <c>slotengine.approvals.lapsed</c> (<c>{booking}</c>): unapproved bookings (<see cref="SlotEngineOptions.Approval"/>)
    /// released at their approval deadline, whichever path released them (a sweep, a claim that took the slots lazily, a block
    /// or withdraw), apart from <see cref="HoldsExpired"/>. It reports the engine's own total, <see cref="ISlotEngine.UnapprovedReleased"/>,
    /// when collected; on Redis each node counts the lapses its own calls made, so the sum over nodes is every lapse once.
    /// </summary>
    public const string ApprovalsLapsed = "slotengine.approvals.lapsed";

    /// <summary>Counter <c>slotengine.claims.displaced</c> (<c>{claim}</c>): holds and bookings removed by a block or a withdrawal.</summary>
    public const string ClaimsDisplaced = "slotengine.claims.displaced";

    /// <summary>Tag <c>slotengine.operation</c>: <c>hold</c>, <c>book</c>, <c>confirm</c>, <c>release</c> or <c>cancel</c>.</summary>
    public const string OperationTag = "slotengine.operation";

    /// <summary>
    /// Tag <c>slotengine.claim.status</c>: the <see cref="ClaimStatus"/> in snake case (<c>succeeded</c>, <c>taken</c>,
    /// <c>in_past</c>, …), or <c>invalid</c> when the engine refused the request as bad input.
    /// </summary>
    public const string ClaimStatusTag = "slotengine.claim.status";

    /// <summary>Tag <c>error.type</c> (OpenTelemetry's): the <see cref="SlotEngineError"/> of a request refused as bad input, or the exception type.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Tag <c>slotengine.query</c>: <c>earliest</c>, <c>calendar</c> or <c>free_counts</c>.</summary>
    public const string QueryTag = "slotengine.query";
}
