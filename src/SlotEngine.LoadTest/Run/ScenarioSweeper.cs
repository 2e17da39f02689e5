using System.Collections.Concurrent;
using System.Diagnostics;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// The run's sweeper (docs/load-generator.md, "Waitlist"), as a deployment runs <see cref="ISlotEngine.SweepAsync"/> in
/// the background, so that an offer a citizen let lapse goes to the next wish instead of to whoever claims the seat
/// next. It looks at the scenario clock every <see cref="PollInterval"/> of real time and sweeps at most once per
/// <see cref="Every"/> of scenario time, when an offer the run let lapse has reached the end of its window since the
/// last sweep; other sweeps are skipped (on Redis a sweep is one script per calendar of the read model: 2.25 million
/// in the default country). Expired walk-away holds the sweep finds are reclaimed too (and
/// offered to waiting wishes like any freed seat). One per run, on its own task; the engine calls it makes are not
/// the workers' (its time is reported on its own).
/// </summary>
internal sealed class ScenarioSweeper
{
    /// <summary>On Redis, the most calendars (providers × days) a run sweeps: a Redis sweep is one script per calendar of the read model, all sent at once.</summary>
    public const long MaxRedisCalendars = 100_000;

    /// <summary>Whether the run gets a sweeper: always in memory; on Redis up to <see cref="MaxRedisCalendars"/> calendars (not the default country's 2.25 million).</summary>
    public static bool Affordable(LoadSettings settings) =>
        settings.Backend != BackendKind.Redis || (long)settings.Providers * settings.DaysOpen <= MaxRedisCalendars;

    /// <summary>How often the sweeper looks at the scenario clock (real time), once <see cref="MinRealInterval"/> has passed since it last looked for lapsed offers.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Real time between sweeps at least. A deployment sweeps on a real-time interval, and a sweep's work (the calendars
    /// that may hold holds) does not shrink with the scenario's compressed clock: in memory a default run made a sweep
    /// every ~0.2 s of real time, 41 sweeps of ~84 ms each in a 7.9 s run, about a fifth of the process's CPU, to sweep 1
    /// lapsed offer (the rest are taken lazily by the next claim). One a second keeps the sweeper's cost a small part of
    /// the run and a lapsed offer's re-offer within a second.
    /// </summary>
    public static readonly TimeSpan MinRealInterval = TimeSpan.FromSeconds(1);

    private readonly ISlotEngine _engine;
    private readonly ScenarioClock _clock;
    private readonly LapsedOffers _lapsed;
    private long _sweepTicks;

    /// <summary>Creates the sweeper.</summary>
    /// <param name="engine">The engine to sweep.</param>
    /// <param name="clock">The scenario clock.</param>
    /// <param name="lapsed">The offers the run let lapse.</param>
    public ScenarioSweeper(ISlotEngine engine, ScenarioClock clock, LapsedOffers lapsed)
    {
        _engine = engine;
        _clock = clock;
        _lapsed = lapsed;
        Every = clock.RealTime ? TimeSpan.FromSeconds(2) : TimeSpan.FromMinutes(1);
    }

    /// <summary>
    /// Scenario time between sweeps at most: a minute in memory (as a deployment's background sweeper might run; the
    /// scenario's minute is a few milliseconds of the run), 2 seconds on Redis (real time, against a 10-second offer window).
    /// </summary>
    public TimeSpan Every { get; }

    /// <summary>Sweeps made.</summary>
    public long Sweeps { get; private set; }

    /// <summary>Expired holds the sweeps reclaimed (lapsed offers and walk-aways).</summary>
    public long HoldsReclaimed { get; private set; }

    /// <summary>Unapproved bookings the sweeps released past their deadline.</summary>
    public long UnapprovedReclaimed { get; private set; }

    /// <summary>Sweeps that threw (the run goes on; the next sweep tries again).</summary>
    public long Errors { get; private set; }

    /// <summary>Real time spent in sweeps.</summary>
    public TimeSpan Elapsed => TimeSpan.FromSeconds((double)_sweepTicks / Stopwatch.Frequency);

    /// <summary>Sweeps on the scenario clock until <paramref name="load"/> completes.</summary>
    /// <param name="load">The workers.</param>
    /// <returns>A task that completes after the load.</returns>
    public async Task RunAsync(Task load)
    {
        var every = Every.Ticks;
        var next = _clock.UtcTicks + every;
        var realNext = Stopwatch.GetTimestamp() + (long)(MinRealInterval.TotalSeconds * Stopwatch.Frequency);
        while (!load.IsCompleted)
        {
            // No sweep before realNext: until then one wait, not a look every PollInterval (200 wake-ups a second, the
            // process's CPU that the report splits between the engine and the generator).
            var untilReal = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), realNext);
            await Task.WhenAny(load, Task.Delay(untilReal > PollInterval ? untilReal : PollInterval)).ConfigureAwait(false);
            var now = _clock.UtcTicks;
            if (load.IsCompleted || now < next || Stopwatch.GetTimestamp() < realNext)
            {
                continue;
            }

            next = now + every;
            realNext = Stopwatch.GetTimestamp() + (long)(MinRealInterval.TotalSeconds * Stopwatch.Frequency);
            if (!_lapsed.TakeDue(now))
            {
                continue;
            }

            var start = Stopwatch.GetTimestamp();
            try
            {
                var result = await _engine.SweepAsync().ConfigureAwait(false);
                Sweeps++;
                HoldsReclaimed += result.ExpiredHolds.Count;
                UnapprovedReclaimed += result.UnapprovedReleased.Count;
                _lapsed.Swept(result.ExpiredHolds);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Errors++;
            }
            finally
            {
                _sweepTicks += Stopwatch.GetTimestamp() - start;
            }
        }
    }

    /// <summary>The sweeper's totals.</summary>
    public SweeperTotals Totals() => new(Every, Sweeps, HoldsReclaimed, UnapprovedReclaimed, Errors, Elapsed);
}

/// <summary>What the run's sweeper did.</summary>
internal sealed record SweeperTotals(TimeSpan Every, long Sweeps, long HoldsReclaimed, long UnapprovedReclaimed, long Errors, TimeSpan Elapsed);

/// <summary>
/// The offers the run let lapse, by seat, until the seat is offered again: which lapses a sweep may free
/// (<see cref="TakeDue"/>), which the sweeps freed (<see cref="LapsedSwept"/>), and which seats went to another wish
/// (<see cref="Reoffered"/>). Thread-safe: workers add, the engine's offer callback removes, the sweeper reads.
/// </summary>
internal sealed class LapsedOffers
{
    private readonly ConcurrentDictionary<(CalendarKey Calendar, int First, int Seat), Entry> _seats = new();
    private long _reoffered;
    private long _swept;

    /// <summary>Lapsed offers whose seat a sweep freed.</summary>
    public long LapsedSwept => Interlocked.Read(ref _swept);

    /// <summary>Offers made of a seat that had been a lapsed offer (made after it lapsed: a re-offer).</summary>
    public long Reoffered => Interlocked.Read(ref _reoffered);

    /// <summary>Records an offer the citizen let lapse (it ends at its hold's expiry).</summary>
    public void Add(in Reservation offer) =>
        _seats[(offer.Calendar, offer.Slots.First, offer.Seat)] = new Entry(offer.Token, offer.HoldExpiresAt?.UtcTicks ?? 0);

    /// <summary>Called with every offer made: counts it once when its seat was a lapsed offer's (the entry stays for <see cref="Swept"/>, which in memory runs after the sweep's own offers).</summary>
    public void Offered(in Reservation offer)
    {
        if (_seats.TryGetValue((offer.Calendar, offer.Slots.First, offer.Seat), out var entry) && Interlocked.Exchange(ref entry.Reoffered, 1) == 0)
        {
            Interlocked.Increment(ref _reoffered);
        }
    }

    /// <summary>Whether a lapsed offer's window ended by <paramref name="nowTicks"/> that no earlier call returned; marks them returned.</summary>
    public bool TakeDue(long nowTicks)
    {
        var due = false;
        foreach (var (_, entry) in _seats)
        {
            if (entry.Due == 0 && entry.ExpiresTicks <= nowTicks)
            {
                entry.Due = 1;
                due = true;
            }
        }

        return due;
    }

    /// <summary>Counts the lapsed offers among a sweep's reclaimed holds (same seat and token).</summary>
    public void Swept(IReadOnlyList<Reservation> reclaimed)
    {
        foreach (var hold in reclaimed)
        {
            if (_seats.TryGetValue((hold.Calendar, hold.Slots.First, hold.Seat), out var entry) && entry.Token == hold.Token && entry.Swept == 0)
            {
                entry.Swept = 1;
                Interlocked.Increment(ref _swept);
            }
        }
    }

    private sealed class Entry(long token, long expiresTicks)
    {
        public readonly long Token = token;
        public readonly long ExpiresTicks = expiresTicks;

        // 1 once re-offered: set by Interlocked.Exchange from the engine's offer callback (any thread), so counted once.
        public int Reoffered;

        // Read and written by the sweeper's task only.
        public int Due;
        public int Swept;
    }
}
