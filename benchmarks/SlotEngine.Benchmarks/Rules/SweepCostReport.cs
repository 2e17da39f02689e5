using System.Globalization;
using System.Text;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.Benchmarks.Rules;

/// <summary>
/// <c>--sweep-cost [--rounds N]</c>: the CPU of one sweep when many calendars hold only bookings awaiting approval
/// (<see cref="ApprovalPolicy.Mhrs"/>: their deadline is the evening before their day), against the same engine and
/// requests with approval off (the same direct bookings, booked at once). 40,000 providers × 6 days; one direct
/// booking on a quarter of the calendars two or more days ahead (about 50,000 bookings awaiting approval); then each
/// round makes 3,000 two-minute holds at random, moves the clock one minute and sweeps; the sweeping thread's CPU time
/// is summed over the rounds after the first five. What it prices is the sweep's walk of calendars whose holds cannot
/// expire before their deadline (docs/lifecycle.md, "Calendars awaiting approval parked by the sweep").
/// </summary>
internal static class SweepCostReport
{
    private const int Providers = 40_000;
    private const int Clinics = 400;
    private const int Days = 6;
    private const int Patients = 300_000;
    private const int HoldsPerRound = 3_000;
    private const int Warmup = 5;

    public static int Run(string[] args)
    {
        var rounds = RulesCostReport.Read(args, "--rounds", 40);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep cost, {Providers:N0} providers × {Days} days, {HoldsPerRound:N0} holds a round, {rounds - Warmup} measured rounds: CPU ms per sweep"));
        Console.WriteLine("| approval | bookings awaiting approval | CPU ms per sweep |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (var approval in new[] { true, false })
        {
            var (waiting, ms) = Measure(approval, rounds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {(approval ? "on" : "off")} | {waiting:N0} | {ms:F2} |"));
        }

        return 0;
    }

    private static (int Waiting, double MsPerSweep) Measure(bool approval, int rounds)
    {
        var start = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3));
        var today = new DateOnly(2026, 11, 22);
        var time = new ManualTime(start);
        var options = new SlotEngineOptions
        {
            TimeProvider = time,
            PatientKeyHasher = new PatientKeyHasher(Encoding.ASCII.GetBytes("slotengine-sweep-cost-secret-0123456789")),
            ExpectedPatients = Patients,
            Approval = approval ? ApprovalPolicy.Mhrs : ApprovalPolicy.None,
        };
        var engine = new InMemorySlotEngine(options);
        CostReportCountry.Build(engine, Providers, Clinics, today, Days);

        var patients = Enumerable.Range(0, Patients).Select(n => engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + (n * 7)))).ToArray();
        var random = new Random(5);
        var waiting = 0;
        for (var p = 0; p < Providers; p++)
        {
            for (var d = 2; d <= Days; d++)
            {
                if (random.Next(4) != 0)
                {
                    continue;
                }

                var key = new CalendarKey(new ProviderId(p + 1), today.AddDays(d));
                var booked = engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(random.Next(48)), patients[random.Next(Patients)]));
                if (booked.Succeeded && booked.Reservation.HoldExpiresAt is not null)
                {
                    waiting++;
                }
            }
        }

        engine.Sweep();
        var cpu = 0.0;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < HoldsPerRound; i++)
            {
                var key = new CalendarKey(new ProviderId(1 + random.Next(Providers)), today.AddDays(1 + random.Next(Days)));
                engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(random.Next(48)), patients[random.Next(Patients)], TimeSpan.FromMinutes(2)));
            }

            time.Advance(TimeSpan.FromMinutes(1));
            var t0 = ThreadCpuClock.ThreadOrProcessSeconds();
            engine.Sweep();
            if (round >= Warmup)
            {
                cpu += ThreadCpuClock.ThreadOrProcessSeconds() - t0;
            }
        }

        return (waiting, cpu * 1e3 / (rounds - Warmup));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
