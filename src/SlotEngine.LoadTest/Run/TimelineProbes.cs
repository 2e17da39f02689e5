namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Which further timeline series a backend offers (<see cref="ITimelineProbe"/>). The embedded
/// engine has none; a Redis engine has the <see cref="RedisTimelineProbe"/> (round trips per
/// second, read-model staleness), and the page and the comparison draw its series when the
/// timeline has them.
/// </summary>
internal static class TimelineProbes
{
    /// <summary>The probes of a run's engines.</summary>
    /// <param name="engine">
    /// The engine driven (the first node's with <c>--nodes N</c>). The Redis probe listens to the
    /// store's process-wide meter, so it covers every node of this process: one probe, not one per node.
    /// </param>
    /// <returns>Its probes (new ones, not yet begun); empty for none.</returns>
    public static IReadOnlyList<ITimelineProbe> For(ISlotEngine engine) => engine switch
    {
        ITimelineProbe probe => [probe],
        SlotEngine.Redis.RedisSlotEngine => [new RedisTimelineProbe()],
        _ => [],
    };
}
