namespace SlotEngine.Tests;

/// <summary>A time provider the test moves by hand. Thread-safe.</summary>
public sealed class FakeTime(DateTimeOffset start) : TimeProvider
{
    private long _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);

    public void Set(DateTimeOffset to) => Volatile.Write(ref _utcTicks, to.UtcTicks);
}
