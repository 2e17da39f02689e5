using System.Diagnostics;
using SlotEngine.LoadTest.Metrics;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Shared by the workers: when to stop, how far the run has got, and so what time it is in the
/// scenario. Workers report bookings in batches (one interlocked add per
/// <see cref="FlushEvery"/> bookings), so the shared counter is no hot spot.
/// </summary>
internal sealed class RunControl
{
    /// <summary>At most this many bookings a worker counts locally before adding them to the shared total.</summary>
    public const int MaxFlushEvery = 64;

    private readonly long _target;
    private readonly long _stopAt;
    private readonly long _durationTicks;
    private readonly CancellationToken _cancel;
    private readonly long _durationCallTicks;
    private readonly bool _stallGuard;
    private readonly int _workers;
    private long _bookings;
    private int _stalledWorkers;
    private int _stalled;
    private long _startTimestamp;
    private long _startCallClock;

    /// <summary>Creates the control of a run.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="clock">The scenario clock.</param>
    /// <param name="timeline">Progress to scenario time.</param>
    /// <param name="cancel">Stops the run early (Ctrl+C).</param>
    /// <param name="sharing">A control whose query cache and bars this one shares (the warm-up's, so that the measured load
    /// starts with its queries made and knows the bars the warm-up's no-shows set), or null.</param>
    /// <param name="stopAt">Stop at this many bookings without moving the scenario clock by them (the warm-up's cap), or null.</param>
    public RunControl(LoadSettings settings, ScenarioClock clock, ScenarioTimeline timeline, CancellationToken cancel, RunControl? sharing = null, long? stopAt = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _stopAt = stopAt ?? long.MaxValue;
        Queries = sharing?.Queries ?? new();
        Bars = sharing?.Bars ?? new();
        Clock = clock;
        Timeline = timeline;
        _cancel = cancel;
        _target = settings.BookingsTarget ?? long.MaxValue;
        _durationTicks = settings.Duration is { } d ? (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        var callFrequency = CallClock.Frequency; // calibrates the call clock now, in setup, not at the load's start
        _durationCallTicks = settings.Duration is { } c ? (long)(c.TotalSeconds * callFrequency) : long.MaxValue;
        FlushEvery = FlushEveryFor(Math.Min(_target, _stopAt), settings.Concurrency);
        _stallGuard = settings.Duration is null;
        _workers = settings.Concurrency;
        StallCallTicks = clock.RealTime ? (long)(RealTimeStall.TotalSeconds * callFrequency) : 0;
    }

    /// <summary>
    /// In real time (Redis), how long a worker must also have gone without a booking to count as stalled: there time lifts
    /// the admission rate's minute by itself (a run with 1,200 citizens for 2,000 bookings books in bursts, a minute apart),
    /// so only twice that minute without a booking is a stall (the active cap waits for cancels due in 10 minutes or more).
    /// </summary>
    public static readonly TimeSpan RealTimeStall = TimeSpan.FromMinutes(2);

    /// <summary><see cref="RealTimeStall"/> in <see cref="CallClock"/> ticks; 0 in scenario time, where arrivals alone decide.</summary>
    public long StallCallTicks { get; }

    /// <summary>
    /// Arrivals in a row without a booking after which a worker counts as stalled (<see cref="WorkerStalled"/>; in real time
    /// only after <see cref="RealTimeStall"/> as well). When every worker is, the run stops (<see cref="Stalled"/>): nearly a million citizens' arrivals on two workers and not one
    /// booking. In memory the scenario clock follows the bookings when the run has no duration, so what only time lifts (the
    /// admission rate's minute, the active cap until cancels fall due, the day's quotas) never lifts, and the run would spin
    /// for ever (a few citizens, <c>--bookings</c> alone). A run with a duration ends anyway and keeps going.
    /// </summary>
    public const int StallArrivals = 100_000;

    /// <summary>Whether the run stopped because every worker made <see cref="StallArrivals"/> arrivals in a row without a booking.</summary>
    public bool Stalled => Volatile.Read(ref _stalled) != 0;

    /// <summary>
    /// A worker has made <see cref="StallArrivals"/> arrivals in a row without a booking (once, until it books again:
    /// <see cref="WorkerResumed"/>). The last of the workers to stall stops the run; that stop is final (a worker that books
    /// just as the last one stalls does not undo it: every other worker has seen <see cref="StallArrivals"/> refusals).
    /// </summary>
    public void WorkerStalled()
    {
        if (_stallGuard && Interlocked.Increment(ref _stalledWorkers) >= _workers)
        {
            Volatile.Write(ref _stalled, 1);
        }
    }

    /// <summary>A worker that had stalled (<see cref="WorkerStalled"/>) booked again.</summary>
    public void WorkerResumed()
    {
        if (_stallGuard)
        {
            Interlocked.Decrement(ref _stalledWorkers);
        }
    }

    /// <summary>
    /// How many bookings a worker counts before adding them to the shared total, for a run that stops at
    /// <paramref name="bound"/> bookings (<see cref="long.MaxValue"/>: none) with <paramref name="concurrency"/> workers:
    /// a hundredth of each worker's share, 1 to <see cref="MaxFlushEvery"/>. The workers stop at most
    /// <c>FlushEvery × concurrency</c> bookings past the bound (the warm-up's cap too: a small one flushes every booking).
    /// </summary>
    /// <param name="bound">The target or the cap, whichever is lower.</param>
    /// <param name="concurrency">The workers.</param>
    /// <returns>The batch size.</returns>
    public static int FlushEveryFor(long bound, int concurrency) =>
        bound == long.MaxValue ? MaxFlushEvery : (int)Math.Clamp(bound / (concurrency * 100L), 1, MaxFlushEvery);

    /// <summary>Bookings a worker counts locally before adding them to the shared total.</summary>
    public int FlushEvery { get; }

    /// <summary>The scenario clock.</summary>
    public ScenarioClock Clock { get; }

    /// <summary>Progress to scenario time.</summary>
    public ScenarioTimeline Timeline { get; }

    /// <summary>
    /// The city + branch queries, shared by every worker: queries are immutable, so one per (city, branch, from, to) is
    /// made once and asked again by any worker (per worker, a nationwide run's thousands of pairs were mostly misses: a
    /// query and a dictionary resize per booking). Grows with the pairs asked each scenario day.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<(int City, int Branch, int From, int To), EarliestQuery> Queries { get; }

    /// <summary>The bars the workers' no-shows set, shared by every worker (for <c>rule_violations</c>).</summary>
    public BarRegistry Bars { get; }

    /// <summary>When the load started (Stopwatch timestamp).</summary>
    public long StartTimestamp => Volatile.Read(ref _startTimestamp);

    /// <summary>Bookings reported so far (lags each worker by under <see cref="FlushEvery"/>).</summary>
    public long Bookings => Volatile.Read(ref _bookings);

    /// <summary>Whether the run was cancelled from outside.</summary>
    public bool Cancelled => _cancel.IsCancellationRequested;

    /// <summary>Marks the start of the load.</summary>
    public void Begin()
    {
        Volatile.Write(ref _startCallClock, CallClock.Now());
        Volatile.Write(ref _startTimestamp, Stopwatch.GetTimestamp());
    }

    /// <summary>Adds a worker's batch of bookings.</summary>
    /// <param name="count">How many.</param>
    public void AddBookings(long count) => Interlocked.Add(ref _bookings, count);

    /// <summary>How far the run has got, 0 to 1: the larger of the share of the bookings target and of the duration.</summary>
    /// <param name="unflushed">The calling worker's bookings not yet added.</param>
    /// <returns>The progress.</returns>
    public double Progress(long unflushed)
    {
        var byBookings = _target == long.MaxValue ? 0 : (double)(Bookings + unflushed) / _target;
        var byTime = _durationTicks == long.MaxValue ? 0 : (double)(Stopwatch.GetTimestamp() - StartTimestamp) / _durationTicks;
        return Math.Max(byBookings, byTime);
    }

    /// <summary>How far the run has got, as <see cref="Progress(long)"/>, at a time a worker read from <see cref="CallClock"/> (no clock read of its own).</summary>
    /// <param name="unflushed">The calling worker's bookings not yet added.</param>
    /// <param name="callNow">Now, from <see cref="CallClock.Now"/>.</param>
    /// <returns>The progress.</returns>
    public double Progress(long unflushed, long callNow)
    {
        var byBookings = _target == long.MaxValue ? 0 : (double)(Bookings + unflushed) / _target;
        var byTime = _durationCallTicks == long.MaxValue ? 0 : (double)(callNow - Volatile.Read(ref _startCallClock)) / _durationCallTicks;
        return Math.Max(byBookings, byTime);
    }

    /// <summary>
    /// The scenario clock moves in steps of at least this much scenario time (one second). The
    /// clock is one word that both workers write and every engine call reads (it is the engine's
    /// time provider); moved on every citizen (every 0.1–0.2 scenario seconds in the steady part),
    /// its cache line went from core to core on nearly every call. Holds last minutes and the
    /// cutoff is 80 minutes, so a second of resolution changes no outcome the scenario measures.
    /// </summary>
    public static readonly long TickResolution = TimeSpan.TicksPerSecond;

    /// <summary>Moves the scenario clock to the time of the current progress, once that is at least <see cref="TickResolution"/> ahead of it.</summary>
    /// <param name="unflushed">The calling worker's bookings not yet added.</param>
    /// <param name="callNow">Now, from <see cref="CallClock.Now"/> (the worker reads it once for this and <see cref="ShouldStop(long, long)"/>).</param>
    public void Tick(long unflushed, long callNow)
    {
        var target = Timeline.TicksAt(Progress(unflushed, callNow));
        if (target - Clock.UtcTicks >= TickResolution)
        {
            Clock.AdvanceTo(target);
        }
    }

    /// <summary>Whether the workers should stop.</summary>
    /// <param name="unflushed">The calling worker's bookings not yet added.</param>
    /// <returns>True when the target or the duration is reached (whichever first), the run was cancelled or it stalled.</returns>
    public bool ShouldStop(long unflushed) =>
        _cancel.IsCancellationRequested ||
        Stalled ||
        Bookings + unflushed >= Math.Min(_target, _stopAt) ||
        (_durationTicks != long.MaxValue && Stopwatch.GetTimestamp() - StartTimestamp >= _durationTicks);

    /// <summary>Whether the workers should stop, as <see cref="ShouldStop(long)"/>, at a time a worker read from <see cref="CallClock"/> (no clock read of its own).</summary>
    /// <param name="unflushed">The calling worker's bookings not yet added.</param>
    /// <param name="callNow">Now, from <see cref="CallClock.Now"/>.</param>
    /// <returns>True when the target or the duration is reached (whichever first), the run was cancelled or it stalled.</returns>
    public bool ShouldStop(long unflushed, long callNow) =>
        _cancel.IsCancellationRequested ||
        Stalled ||
        Bookings + unflushed >= Math.Min(_target, _stopAt) ||
        (_durationCallTicks != long.MaxValue && callNow - Volatile.Read(ref _startCallClock) >= _durationCallTicks);
}
