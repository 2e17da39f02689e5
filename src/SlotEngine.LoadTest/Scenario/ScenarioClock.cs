namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// The scenario's time: a <see cref="TimeProvider"/> the generator moves forward as the simulated
/// day goes by, so hold expiries and cancel cutoffs happen within a run of seconds. Only ever moves
/// forward (a racing worker that asks for an earlier time leaves it where it is). Thread-safe.
/// </summary>
internal sealed class ScenarioClock(DateTimeOffset start, bool realTime = false) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    /// <summary>When the scenario began.</summary>
    public DateTimeOffset Start { get; } = start;

    /// <summary>
    /// Whether the clock follows real time instead (the Redis backend: Redis's own <c>TIME</c>
    /// judges holds, the window and the cutoff, so scenario time cannot be compressed there).
    /// </summary>
    public bool RealTime { get; } = realTime;

    /// <summary>Now, in UTC ticks.</summary>
    public long UtcTicks => RealTime ? System.GetUtcNow().UtcTicks : Volatile.Read(ref _utcTicks);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(UtcTicks, TimeSpan.Zero);

    /// <summary>Moves the clock to <paramref name="utcTicks"/> if that is later than now (nothing in real time).</summary>
    /// <param name="utcTicks">The target time, UTC ticks.</param>
    public void AdvanceTo(long utcTicks)
    {
        if (RealTime)
        {
            return;
        }

        var current = Volatile.Read(ref _utcTicks);
        while (utcTicks > current)
        {
            var seen = Interlocked.CompareExchange(ref _utcTicks, utcTicks, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
