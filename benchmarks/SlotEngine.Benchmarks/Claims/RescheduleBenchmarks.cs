using BenchmarkDotNet.Attributes;
using SlotEngine.Benchmarks.Infrastructure;

namespace SlotEngine.Benchmarks.Claims;

/// <summary>
/// Moving one booking between two providers of a clinic under MHRS quotas, on one thread, beside what a caller would
/// otherwise do: book the target and release the old (two calls, not atomic; the baseline). Each move checks that it
/// succeeded, so a number can never come from a refusal.
/// </summary>
[MemoryDiagnoser]
public class RescheduleBenchmarks
{
    private InMemorySlotEngine _engine = null!;
    private ClaimRequest _toB;
    private ClaimRequest _toA;
    private Reservation _current;

    [GlobalSetup]
    public void Setup()
    {
        _engine = EngineSetup.Create(QuotaPolicy.Mhrs, providers: 2);
        var day = EngineSetup.ClaimDay(_engine);
        var a = new CalendarKey(new ProviderId(0), day);
        var b = new CalendarKey(new ProviderId(1), day);
        _engine.Publish(a.Provider, day, DayTemplate.Standard);
        _engine.Publish(b.Provider, day, DayTemplate.Standard);
        var patient = EngineSetup.Patient(_engine, 1);
        _toA = ClaimRequest.Book(a, SlotRange.Single(10), patient);
        _toB = ClaimRequest.Book(b, SlotRange.Single(11), patient);
        _current = EngineSetup.Expect(_engine.TryClaim(_toA), "the first booking");
    }

    /// <summary>Book the other slot, then release the old one: two calls (it needs a second quota place in the clinic, so the old is released first).</summary>
    [Benchmark(Baseline = true)]
    public long ReleaseThenBook()
    {
        var target = _current.Calendar == _toA.Calendar ? _toB : _toA;
        _engine.TryRelease(_current);
        _current = EngineSetup.Expect(_engine.TryClaim(target), "book");
        return _current.Token;
    }

    /// <summary>One atomic move.</summary>
    [Benchmark]
    public long Reschedule()
    {
        var target = _current.Calendar == _toA.Calendar ? _toB : _toA;
        var moved = _engine.TryReschedule(_current, target);
        _current = moved.Succeeded ? moved.Reservation : throw new InvalidOperationException("the move did not succeed: " + moved);
        return _current.Token;
    }
}
