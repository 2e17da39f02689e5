using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>
/// Runs worker threads, released together on a <see cref="Barrier"/>, each for a fixed number of
/// operations, and records every operation in a <see cref="History"/>.
/// </summary>
internal sealed class StressDriver(TestWorld world, CalendarKey[] calendars, int threads)
{
    private long _operations;
    private readonly Dictionary<CalendarKey, DayTemplate> _templates = calendars.ToDictionary(c => c, c => world.Engine.GetCalendar(c).Template);

    public History History { get; } = new(threads + 2);

    public InMemorySlotEngine Engine => world.Engine;

    /// <summary>How many patients claims are spread over (few: same-patient races; many: no quota pressure).</summary>
    public int Patients { get; init; } = 1_000;

    /// <summary>Hold times to live in minutes; 0 books directly.</summary>
    public int[] HoldMinutes { get; init; } = [0, 10];

    public static int ThreadCount => Math.Max(4, Environment.ProcessorCount);

    /// <summary>Runs the workers, plus optional clock and sweeper threads that stop when the workers are done.</summary>
    public void Run(int operationsPerThread, bool moveClock = false, bool sweep = false)
    {
        var extra = (moveClock ? 1 : 0) + (sweep ? 1 : 0);
        using var barrier = new Barrier(threads + extra);
        var done = 0;
        var errors = new List<Exception>();
        var all = new List<Thread>();
        for (var t = 0; t < threads; t++)
        {
            var id = t;
            all.Add(new Thread(() => Guard(() =>
            {
                barrier.SignalAndWait();
                Worker(id, operationsPerThread);
                Interlocked.Increment(ref done);
            })));
        }

        if (moveClock)
        {
            all.Add(new Thread(() => Guard(() =>
            {
                // Time moves with the work, not with the wall clock: 20 seconds per 200 operations.
                barrier.SignalAndWait();
                var spinner = default(SpinWait);
                var next = 200L;
                while (Volatile.Read(ref done) < threads)
                {
                    if (Volatile.Read(ref _operations) >= next)
                    {
                        world.Time.Advance(TimeSpan.FromSeconds(20));
                        next += 200;
                    }

                    spinner.SpinOnce();
                }
            })));
        }

        if (sweep)
        {
            all.Add(new Thread(() => Guard(() =>
            {
                barrier.SignalAndWait();
                while (Volatile.Read(ref done) < threads)
                {
                    var start = History.Next();
                    var before = Now;
                    var reclaimed = Engine.SweepExpiredHolds();
                    History.Add(threads + 1, new HistoryEvent(EventKind.Sweep, threads + 1, start, History.Next(), before, Now, default, ClaimStatus.Succeeded, reclaimed));
                    Thread.Yield();
                }
            })));
        }

        all.ForEach(t => t.Start());
        all.ForEach(t => t.Join());
        if (errors.Count > 0)
        {
            throw new AggregateException(errors);
        }

        void Guard(Action body)
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }

                barrier.RemoveParticipant();
                Interlocked.Add(ref done, threads);
            }
        }
    }

    private long Now => world.Time.GetUtcNow().UtcTicks;

    private void Worker(int thread, int operations)
    {
        var random = new Random(1_000 + thread);
        var mine = new List<Reservation>();
        for (var i = 0; i < operations; i++)
        {
            Interlocked.Increment(ref _operations);
            var roll = random.Next(100);
            if (roll < 50 || mine.Count == 0)
            {
                Claim(thread, random, mine);
            }
            else if (roll < 70)
            {
                var r = mine[random.Next(mine.Count)];
                var result = Record(thread, EventKind.Confirm, r, () => Engine.TryConfirm(r));
                if (result.Status is ClaimStatus.Stale or ClaimStatus.HoldExpired)
                {
                    mine.Remove(r);
                }
            }
            else if (roll < 93)
            {
                var at = random.Next(mine.Count);
                var r = mine[at];
                mine.RemoveAt(at);
                Record(thread, EventKind.Release, r, () => random.Next(2) == 0 ? Engine.TryRelease(r) : Engine.TryCancel(r, CancelActor.Administrator));
            }
            else if (roll < 96)
            {
                var calendar = calendars[random.Next(calendars.Length)];
                var slots = new SlotRange(First(random, calendar), random.Next(1, 4));
                slots = slots with { Length = Math.Min(slots.Length, SlotCount(calendar) - slots.First) };
                var start = History.Next();
                var before = Now;
                var blocked = Engine.Block(calendar, slots);
                History.Add(thread, new HistoryEvent(EventKind.Block, thread, start, History.Next(), before, Now, default, ClaimStatus.Succeeded, blocked.Displaced.Select(d => d.Reservation).ToList()));
                Engine.Reopen(calendar, slots);
            }
            else
            {
                // Readers: hints only, but they must never throw or see garbage.
                var calendar = calendars[random.Next(calendars.Length)];
                var found = Engine.FindEarliest(EarliestQuery.ForProviders([calendar.Provider], calendar.Day, calendar.Day, random.Next(1, 6), 5).WithStartsPerCalendar(5));
                Assert.All(found, f => Assert.InRange(f.Slots.First, 0, SlotCount(calendar) - 1));
                var counts = Engine.GetFreeCounts(calendar.Provider, calendar.Day, calendar.Day);
                Assert.InRange(counts[0].FreeSeats, 0, counts[0].TotalSeats);
            }
        }
    }

    private void Claim(int thread, Random random, List<Reservation> mine)
    {
        var calendar = calendars[random.Next(calendars.Length)];
        var first = First(random, calendar);
        var template = _templates[calendar];
        var sessionEnd = template.EndSlotOfSession(template.SessionOf(first));
        var length = Math.Min(random.Next(10) < 6 ? random.Next(1, 4) : random.Next(4, 12), sessionEnd - first);
        var minutes = HoldMinutes[random.Next(HoldMinutes.Length)];
        var patient = world.Patient(random.Next(Patients));
        var request = minutes == 0
            ? ClaimRequest.Book(calendar, new SlotRange(first, length), patient)
            : ClaimRequest.Hold(calendar, new SlotRange(first, length), patient, TimeSpan.FromMinutes(minutes));
        var result = Record(thread, EventKind.Claim, default, () => Engine.TryClaim(request));
        if (result.Succeeded)
        {
            mine.Add(result.Reservation);
        }
    }

    private ClaimResult Record(int thread, EventKind kind, Reservation subject, Func<ClaimResult> act)
    {
        var start = History.Next();
        var before = Now;
        var result = act();
        var end = History.Next();
        History.Add(thread, new HistoryEvent(kind, thread, start, end, before, Now, result.Succeeded ? result.Reservation : subject, result.Status, []));
        return result;
    }

    /// <summary>Mostly near the 64-bit word boundaries, where multi-word claims happen.</summary>
    private int First(Random random, CalendarKey calendar)
    {
        var count = SlotCount(calendar);
        var first = random.Next(3) == 0 ? random.Next(count) : (random.Next(2) == 0 ? 56 : 120) + random.Next(12);
        return Math.Min(first, count - 1);
    }

    private int SlotCount(CalendarKey calendar) => _templates[calendar].SlotCount;
}
