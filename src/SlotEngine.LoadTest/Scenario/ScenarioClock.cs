namespace SlotEngine.LoadTest.Scenario;

/// <summary>
/// The scenario's time: a <see cref="TimeProvider"/> the generator moves forward as the simulated
/// day goes by, so hold expiries and cancel cutoffs happen within a run of seconds. Only ever moves
/// forward (a racing worker that asks for an earlier time leaves it where it is). Thread-safe.
/// </summary>
internal sealed class ScenarioClock(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    /// <summary>When the scenario began.</summary>
    public DateTimeOffset Start { get; } = start;

    /// <summary>Now, in UTC ticks.</summary>
    public long UtcTicks => Volatile.Read(ref _utcTicks);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _utcTicks), TimeSpan.Zero);

    /// <summary>Moves the clock to <paramref name="utcTicks"/> if that is later than now.</summary>
    /// <param name="utcTicks">The target time, UTC ticks.</param>
    public void AdvanceTo(long utcTicks)
    {
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
