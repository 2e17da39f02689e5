namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Which further timeline series a backend offers (<see cref="ITimelineProbe"/>). The embedded
/// engine has none; a Redis backend's probe (round trips per second, read-model staleness) is
/// added here, and the page and the comparison draw its series when the timeline has them.
/// </summary>
internal static class TimelineProbes
{
    /// <summary>The probes of an engine.</summary>
    /// <param name="engine">The engine driven.</param>
    /// <returns>Its probes; empty for none.</returns>
    public static IReadOnlyList<ITimelineProbe> For(ISlotEngine engine) =>
        engine is ITimelineProbe probe ? [probe] : [];
}
