using System.Globalization;
using SlotEngine.Benchmarks.Infrastructure;
using SlotEngine.Benchmarks.Peers;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.Benchmarks.Floor;

/// <summary>
/// <c>--machine-floor [--working-set-mib N] [--iterations N] [--rounds N] [--smoke]</c>: what this machine charges for the two things issue
/// 13's goals are made of, and the goals restated in them. (1) Locked operations, one thread, uncontended: the claims
/// suite's floor (a bare CAS clear + set), one CAS, the public book + release's own locked operations done alone (see
/// <see cref="PublicLockedOperations"/>), and the engine's public book + release beside them, so the claims goal (≥ 0.25×
/// the floor) becomes a budget in nanoseconds of which the atomics take their share. (2) A dependent load at a random
/// place of a large working set (a pointer chase: each load's address is the previous load's value, as in the engine's
/// chains provider → calendar → slab and patient → directory → quota entry), on 4 KiB and on 2 MiB pages, so the 2-second
/// day (2.35 µs of CPU a booking on 2 cores) becomes a count of cold lines. Each figure is the calling thread's CPU per
/// operation, the median of the rounds. <c>--smoke</c>: a tiny run for CI (numbers meaningless; it checks the report runs).
/// </summary>
internal static class MachineFloorReport
{
    /// <summary>
    /// The locked operations of one public book + release with MHRS quotas (neither a hold nor approval, no admission
    /// rate, no active cap, no audit), read from the engine's success path: the claim's free-bit CAS
    /// (<c>Calendar.TryTakeBits</c>), its token CAS (<c>IssueToken</c>) and version increment (<c>BumpVersion</c>); the
    /// clinic's and the facility's quota entry CAS to pending (<c>QuotaLedger.TryTakeEntry</c>; their commit is a plain
    /// store, and a release leaves them to be found dead); the release's head-cell CAS (<c>TryCasCell</c>), its bits given
    /// back (<c>Interlocked.Or</c> in <c>ReturnBits</c>) and its version increment. The cells' publish is a plain store.
    /// </summary>
    public const int PublicLockedOperations = 8;

    /// <summary>Issue 13's claims goal: the public book + release at least this share of the floor's speed.</summary>
    private const double ClaimsGoalRatio = 0.25;

    /// <summary>Issue 13's day: 1.7 M bookings in 2 s on 2 cores, i.e. 850,000 bookings/s and this much CPU a booking.</summary>
    private const double DayGoalCpuNanosecondsPerBooking = 2.0 * 1e9 / 850_000;

    private const int Slot = 10;

    /// <summary>The largest working set: one array of longs holds at most 2^31 − 57 elements, about 16 GiB.</summary>
    private const int MaxWorkingSetMib = 16_000;

    public static int Run(string[] args)
    {
        var smoke = args.Contains("--smoke");
        int workingSetMib, rounds, iterations;
        try
        {
            workingSetMib = Rules.RulesCostReport.Read(args, "--working-set-mib", smoke ? 64 : 2048);
            rounds = Rules.RulesCostReport.Read(args, "--rounds", smoke ? 2 : 5);
            iterations = smoke ? 20_000 : Rules.RulesCostReport.Read(args, "--iterations", 5_000_000);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            Console.Error.WriteLine($"--working-set-mib, --rounds and --iterations take a whole number: {e.Message}");
            return 2;
        }

        if (workingSetMib is < 64 or > MaxWorkingSetMib || rounds < 1 || iterations < 1)
        {
            Console.Error.WriteLine($"--working-set-mib must be 64 to {MaxWorkingSetMib} (one array of longs), --rounds and --iterations at least 1.");
            return 2;
        }

        var loads = smoke ? 20_000 : 2_000_000;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"machine floor: {Environment.ProcessorCount} cores, transparent huge pages '{DependentLoads.TransparentHugePages()}', {rounds} rounds, the calling thread's CPU, medians"));

        var locked = LockedOperations.Measure(iterations, rounds);
        Console.WriteLine("locked operations, one thread, uncontended (ns)");
        Row("floor: bare CAS clear + set (the claims suite's baseline)", locked.Floor, locked.Floor);
        Row("one CAS", locked.OneCas, locked.Floor);
        Row($"the public book + release's {PublicLockedOperations} locked operations alone", locked.PublicLockedAlone, locked.Floor);
        Row("engine internals: Calendar.TryClaim + Release", locked.CalendarOnly, locked.Floor);
        Row("engine: book + release (no quotas)", locked.EngineNoQuotas, locked.Floor);
        Row("engine: book + release (MHRS quotas)", locked.EngineMhrs, locked.Floor);

        var budget = locked.Floor / ClaimsGoalRatio;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"claims goal (>= {ClaimsGoalRatio:0.00}x the floor): a public book + release of at most {budget:F1} ns; its locked operations alone take {locked.PublicLockedAlone:F1} ns ({locked.Floor / locked.PublicLockedAlone:F2}x), leaving {budget - locked.PublicLockedAlone:F1} ns for everything else, which takes {locked.EngineMhrs - locked.PublicLockedAlone:F1} ns now"));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dependent loads at random places of {workingSetMib:N0} MiB (ns per load)"));
        var small = DependentLoads.Measure(workingSetMib, hugePages: false, loads, rounds);
        var large = DependentLoads.Measure(workingSetMib, hugePages: true, loads, rounds);
        foreach (var pages in new[] { small, large })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {(pages.HugePages ? "2 MiB pages" : "4 KiB pages")} | {pages.NanosecondsPerLoad:F1} | {pages.HugePageMib:N0} MiB of the working set on 2 MiB pages |"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"day goal (850,000 bookings/s on 2 cores): {DayGoalCpuNanosecondsPerBooking / 1000:F2} µs of CPU a booking, generator included = {DayGoalCpuNanosecondsPerBooking / large.NanosecondsPerLoad:F1} dependent loads on 2 MiB pages, {DayGoalCpuNanosecondsPerBooking / small.NanosecondsPerLoad:F1} on 4 KiB pages, and nothing else"));
        return 0;
    }

    private static void Row(string what, double nanoseconds, double floor) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {nanoseconds:F1} | {floor / nanoseconds:F2}x the floor's speed |"));

    /// <summary>The median of <paramref name="rounds"/> timings of <paramref name="body"/>, in CPU ns per operation.</summary>
    internal static double Median(int rounds, long operations, Action body)
    {
        body(); // once before timing: tier-up and first touches
        var each = new double[rounds];
        for (var r = 0; r < rounds; r++)
        {
            var t0 = ThreadCpuClock.ThreadOrProcessSeconds();
            body();
            each[r] = (ThreadCpuClock.ThreadOrProcessSeconds() - t0) * 1e9 / operations;
        }

        return HtmlReport.Median(each);
    }

    /// <summary>The locked-operation rows.</summary>
    internal sealed record LockedTimes(double Floor, double OneCas, double PublicLockedAlone, double CalendarOnly, double EngineNoQuotas, double EngineMhrs);

    /// <summary>Measures the rows of <see cref="LockedTimes"/>; every claim path is checked to succeed each time.</summary>
    internal static class LockedOperations
    {
        public static LockedTimes Measure(int iterations, int rounds)
        {
            var floor = new CasFloor(1);
            var sequence = new PublicLockedSequence();
            var word = new long[1];
            var engine = EngineSetup.Create(QuotaPolicy.None, providers: 1);
            var mhrs = EngineSetup.Create(QuotaPolicy.Mhrs, providers: 1);
            var day = EngineSetup.ClaimDay(engine);
            var calendarKey = new CalendarKey(new ProviderId(0), day);
            engine.Publish(calendarKey.Provider, day, DayTemplate.Standard);
            mhrs.Publish(calendarKey.Provider, day, DayTemplate.Standard);
            var book = ClaimRequest.Book(calendarKey, SlotRange.Single(Slot), EngineSetup.Patient(engine, 1));
            var mhrsBook = ClaimRequest.Book(calendarKey, SlotRange.Single(Slot), EngineSetup.Patient(mhrs, 1));
            var calendar = engine.Directory.GetProvider(calendarKey.Provider).GetCalendar(day)!;
            var clock = new EngineClock(TimeProvider.System);
            var nowTicks = calendar.Layout.StartUtcTicks(0) - TimeSpan.TicksPerDay;

            return new LockedTimes(
                Floor: Median(rounds, iterations, () =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        Require(floor.TryClaim(0, Slot));
                        floor.Release(0, Slot);
                    }
                }),
                OneCas: Median(rounds, iterations, () =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        var seen = Volatile.Read(ref word[0]);
                        Require(Interlocked.CompareExchange(ref word[0], seen + 1, seen) == seen);
                    }
                }),
                PublicLockedAlone: Median(rounds, iterations, () =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        sequence.BookAndRelease(Slot);
                    }
                }),
                CalendarOnly: Median(rounds, iterations, () =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        Require(calendar.TryClaim(Slot, 1, 1, holdExpiryTicks: 0, nowTicks, out var seat, out var token) == ClaimStatus.Succeeded
                            && calendar.Release(seat, Slot, token, 1, clock, long.MaxValue, out _) == ClaimStatus.Succeeded);
                    }
                }),
                EngineNoQuotas: Median(rounds, iterations, () =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        var claim = engine.TryClaim(in book);
                        Require(claim.Succeeded && engine.TryRelease(claim.Reservation).Succeeded);
                    }
                }),
                EngineMhrs: Median(rounds, iterations, () =>
                {
                    for (var i = 0; i < iterations; i++)
                    {
                        var claim = mhrs.TryClaim(in mhrsBook);
                        Require(claim.Succeeded && mhrs.TryRelease(claim.Reservation).Succeeded);
                    }
                }));
        }

        private static void Require(bool succeeded)
        {
            if (!succeeded)
            {
                throw new InvalidOperationException("A measured claim or release did not succeed: the number would not be of the success path.");
            }
        }
    }
}
