namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Engine calls the generator times as engine work but keeps out of the operations table (no latency row of their own):
/// counted, with their summed time, in <see cref="WorkerStats.Untimed"/>, so a report can say what they cost a booking.
/// </summary>
internal enum UntimedCall
{
    /// <summary>The question before the search whether the citizen is at the active cap (<see cref="InMemorySlotEngine.IsAtActiveCap"/>).</summary>
    CapCheck = 0,

    /// <summary>A citizen approving an unapproved booking just made.</summary>
    Approval,

    /// <summary>Recording a booking's sampled outcome (attended, no-show, seen elsewhere).</summary>
    Outcome,
}

/// <summary>Names and count of <see cref="UntimedCall"/> (the JSON's and the console's).</summary>
internal static class UntimedCalls
{
    /// <summary>Every kind, in order (their values are 0, 1, …: an index into per-kind arrays).</summary>
    public static readonly UntimedCall[] All = Enum.GetValues<UntimedCall>();

    /// <summary>How many kinds there are.</summary>
    public static int Count => All.Length;

    /// <summary>The JSON name of a kind.</summary>
    /// <param name="call">The kind.</param>
    /// <returns>Its name.</returns>
    public static string Name(UntimedCall call) => call switch
    {
        UntimedCall.CapCheck => "cap_check",
        UntimedCall.Approval => "approval",
        UntimedCall.Outcome => "outcome",
        _ => throw new ArgumentOutOfRangeException(nameof(call), call, "Not an untimed call."),
    };

    /// <summary>The console's plural name of a kind.</summary>
    /// <param name="call">The kind.</param>
    /// <returns>Its name.</returns>
    public static string Plural(UntimedCall call) => call switch
    {
        UntimedCall.CapCheck => "cap checks",
        UntimedCall.Approval => "approvals",
        UntimedCall.Outcome => "outcomes",
        _ => throw new ArgumentOutOfRangeException(nameof(call), call, "Not an untimed call."),
    };
}
