using System.Globalization;
using System.Text;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.Benchmarks.Rules;

/// <summary>
/// <c>--cap-refusal-cost [--rounds N]</c>: the CPU of a claim the active cap refuses (<see cref="ClaimStatus.ActiveLimitReached"/>)
/// in memory, where the cap judges each of the patient's claims live on its own calendar. 40,000 providers × 6 days (about
/// 70 MB of calendars, larger than the caches), 150,000 patients with 3 live future bookings each on random calendars;
/// each round every patient, in a random order, asks for one more hold on a random calendar and is refused. The calling
/// thread's CPU time per refusal over rounds 2..N, and for scale the same for a claim of a patient below the cap (held and
/// released). In the load generator's default run 0.1 claims per booking are such refusals (docs/lifecycle.md).
/// </summary>
internal static class CapRefusalReport
{
    private const int Providers = 40_000;
    private const int Clinics = 400;
    private const int Days = 6;
    private const int Patients = 150_000;

    public static int Run(string[] args)
    {
        var rounds = RulesCostReport.Read(args, "--rounds", 6);
        var start = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3));
        var today = new DateOnly(2026, 11, 22);
        var options = new SlotEngineOptions
        {
            TimeProvider = new FixedTime(start),
            PatientKeyHasher = new PatientKeyHasher(Encoding.ASCII.GetBytes("slotengine-cap-refusal-secret-0123456")),
            ExpectedPatients = Patients * 2,
            ExpectedClaimsPerDay = 200_000,
            MaxActiveAppointments = 3,
        };
        var engine = new InMemorySlotEngine(options);
        CostReportCountry.Build(engine, Providers, Clinics, today, Days);

        var random = new Random(7);
        var patients = Enumerable.Range(0, Patients).Select(n => engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + (n * 7)))).ToArray();
        var free = Enumerable.Range(0, Patients).Select(n => engine.PatientOf(NationalId.FromFirstNineDigits(300_000_000 + (n * 7)))).ToArray();
        foreach (var patient in patients)
        {
            for (var booked = 0; booked < 3;)
            {
                if (engine.TryClaim(ClaimRequest.Book(RandomCalendar(random, today), SlotRange.Single(random.Next(DayTemplate.Standard.SlotCount)), patient)).Succeeded)
                {
                    booked++;
                }
            }
        }

        double refusedCpu = 0, belowCpu = 0;
        long refused = 0, below = 0;
        for (var round = 0; round < rounds; round++)
        {
            var order = Enumerable.Range(0, Patients).OrderBy(_ => random.Next()).ToArray();
            var requests = order.Select(i => ClaimRequest.Hold(RandomCalendar(random, today), SlotRange.Single(random.Next(DayTemplate.Standard.SlotCount)), patients[i], TimeSpan.FromMinutes(5))).ToArray();
            var belowRequests = order.Select(i => ClaimRequest.Hold(RandomCalendar(random, today), SlotRange.Single(random.Next(DayTemplate.Standard.SlotCount)), free[i], TimeSpan.FromMinutes(5))).ToArray();
            GC.Collect();
            var t0 = ThreadCpuClock.ThreadOrProcessSeconds();
            var n = 0;
            foreach (var request in requests)
            {
                if (engine.TryClaim(request).Status == ClaimStatus.ActiveLimitReached)
                {
                    n++;
                }
            }

            var t1 = ThreadCpuClock.ThreadOrProcessSeconds();
            var m = 0;
            foreach (var request in belowRequests)
            {
                var hold = engine.TryClaim(request);
                if (hold.Succeeded)
                {
                    m++;
                    engine.TryRelease(hold.Reservation);
                }
            }

            var t2 = ThreadCpuClock.ThreadOrProcessSeconds();
            if (n != Patients)
            {
                throw new InvalidOperationException($"Expected every claim refused by the cap, {n} of {Patients} were.");
            }

            if (round > 0)
            {
                refusedCpu += t1 - t0;
                refused += n;
                belowCpu += t2 - t1;
                below += m;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"active cap refusals, {rounds - 1} rounds of {Patients:N0} patients at the cap of 3 ({Providers:N0} providers × {Days} days)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| refused claim (3 claims judged) | {refusedCpu / refused * 1e6:F3} µs CPU | {refused:N0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| claim below the cap, held and released | {belowCpu / below * 1e6:F3} µs CPU | {below:N0} |"));
        return 0;
    }

    private static CalendarKey RandomCalendar(Random random, DateOnly today) =>
        new(new ProviderId(1 + random.Next(Providers)), today.AddDays(1 + random.Next(Days)));
}
