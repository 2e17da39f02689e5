using BenchmarkDotNet.Attributes;

namespace SlotEngine.Benchmarks.Claims;

/// <summary>
/// What reading the clock costs on this machine, beside the CAS floor: the engine reads
/// <see cref="TimeProvider.System"/> once per claim and once per release (for lazy hold expiry,
/// the booking window and past slots), so on a virtual machine whose clock is slow to read this is
/// part of every claim's price.
/// </summary>
[MemoryDiagnoser]
public class ClockReadBenchmarks
{
    private ulong _word = ulong.MaxValue;

    [Benchmark(Baseline = true, Description = "Floor: bare CAS clear + set")]
    public bool Floor()
    {
        var current = Volatile.Read(ref _word);
        var claimed = Interlocked.CompareExchange(ref _word, current & ~1UL, current) == current;
        Interlocked.CompareExchange(ref _word, current, current & ~1UL);
        return claimed;
    }

    [Benchmark(Description = "TimeProvider.System.GetUtcNow()")]
    public long SystemClock() => TimeProvider.System.GetUtcNow().UtcTicks;

    [Benchmark(Description = "Environment.TickCount64")]
    public long TickCount() => Environment.TickCount64;

    private readonly EngineClock _engineClock = new(TimeProvider.System);

    [Benchmark(Description = "EngineClock.UtcTicks (system provider): what a claim reads")]
    public long EngineClockRead() => _engineClock.UtcTicks();
}
