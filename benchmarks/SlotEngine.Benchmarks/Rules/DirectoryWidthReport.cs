using System.Globalization;
using System.Text;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.Benchmarks.Rules;

/// <summary>
/// <c>--directory-width-cost [--rounds N]</c>: what the active cap's entries, kept in each patient's directory place
/// (<see cref="ActiveLedger"/>), cost the lookups that do not use them. Two engines alike but for the cap (0: a place of
/// 16 bytes with the admission instant; 3: a place of 64 bytes), each with 500,000 patients holding one booking
/// (40,000 providers × 6 days, a directory made for twice the patients, as the load generator makes it); each round
/// confirms every booking again in a random order (a confirm looks its patient up and does not touch the cap), the two
/// engines alternating. The calling thread's CPU per confirm over rounds 2..N. Then the same for a new patient's first
/// hold and its release (the directory insert of a place never touched since setup).
/// </summary>
internal static class DirectoryWidthReport
{
    private const int Providers = 40_000;
    private const int Clinics = 400;
    private const int Days = 6;
    private const int Patients = 500_000;
    private const int NewPerRound = 100_000;

    public static int Run(string[] args)
    {
        var rounds = RulesCostReport.Read(args, "--rounds", 6);
        var today = new DateOnly(2026, 11, 22);
        var caps = new[] { 0, 3 };
        var engines = new InMemorySlotEngine[caps.Length];
        var bookings = new Reservation[caps.Length][];
        for (var e = 0; e < caps.Length; e++)
        {
            var engine = new InMemorySlotEngine(new SlotEngineOptions
            {
                TimeProvider = new FixedTime(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3))),
                PatientKeyHasher = new PatientKeyHasher(Encoding.ASCII.GetBytes("slotengine-directory-width-secret-0123")),
                ExpectedPatients = Patients * 2,
                ExpectedClaimsPerDay = 200_000,
                Admission = new AdmissionRate(5, TimeSpan.FromMinutes(1)),
                Quotas = QuotaPolicy.None,
                MaxActiveAppointments = caps[e],
            });
            CostReportCountry.Build(engine, Providers, Clinics, today, Days);

            var random = new Random(11);
            var booked = new Reservation[Patients];
            for (var n = 0; n < Patients; n++)
            {
                var patient = engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + (n * 7)));
                while (true)
                {
                    var calendar = new CalendarKey(new ProviderId(1 + random.Next(Providers)), today.AddDays(1 + random.Next(Days)));
                    if (engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(random.Next(DayTemplate.Standard.SlotCount)), patient)) is { Succeeded: true } result)
                    {
                        booked[n] = result.Reservation;
                        break;
                    }
                }
            }

            engines[e] = engine;
            bookings[e] = booked;
        }

        var cpu = new double[caps.Length];
        long confirms = 0;
        var order = new Random(5);
        for (var round = 0; round < rounds; round++)
        {
            var shuffled = Enumerable.Range(0, Patients).OrderBy(_ => order.Next()).ToArray();
            foreach (var e in round % 2 == 0 ? new[] { 0, 1 } : new[] { 1, 0 })
            {
                var engine = engines[e];
                var booked = bookings[e];
                GC.Collect();
                var t0 = ThreadCpuClock.ThreadOrProcessSeconds();
                foreach (var i in shuffled)
                {
                    if (!engine.TryConfirm(booked[i]).Succeeded)
                    {
                        throw new InvalidOperationException("A booking confirmed again must succeed.");
                    }
                }

                if (round > 0)
                {
                    cpu[e] += ThreadCpuClock.ThreadOrProcessSeconds() - t0;
                }
            }

            if (round > 0)
            {
                confirms += Patients;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"directory width, {rounds - 1} rounds of {Patients:N0} confirms again: CPU µs per confirm"));
        for (var e = 0; e < caps.Length; e++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cap {caps[e]} | {cpu[e] / confirms * 1e6:F3} |"));
        }

        NewPatients(engines, caps, rounds, today);
        return 0;
    }

    /// <summary>
    /// The load run's common case (issue 11, helper <c>rules3</c>): a patient's first claim, which inserts the patient into
    /// the directory (a place never touched since setup) before the claim. Each round, <see cref="NewPerRound"/> new patients
    /// per engine each hold one seat and release it (the same calendars and slots in both engines, the engines alternating);
    /// the cap-3 engine also takes and frees a cap entry. The calling thread's CPU per hold + release over rounds 2..N.
    /// </summary>
    private static void NewPatients(InMemorySlotEngine[] engines, int[] caps, int rounds, DateOnly today)
    {
        var cpu = new double[caps.Length];
        long pairs = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var e in round % 2 == 0 ? new[] { 0, 1 } : new[] { 1, 0 })
            {
                var engine = engines[e];
                var random = new Random(100 + round);
                var patients = new PatientKey[NewPerRound];
                for (var n = 0; n < NewPerRound; n++)
                {
                    patients[n] = engine.PatientOf(NationalId.FromFirstNineDigits(300_000_000 + (round * NewPerRound) + n));
                }

                GC.Collect();
                var t0 = ThreadCpuClock.ThreadOrProcessSeconds();
                foreach (var patient in patients)
                {
                    while (true)
                    {
                        var calendar = new CalendarKey(new ProviderId(1 + random.Next(Providers)), today.AddDays(1 + random.Next(Days)));
                        var slots = SlotRange.Single(random.Next(DayTemplate.Standard.SlotCount));
                        if (engine.TryClaim(ClaimRequest.Hold(calendar, slots, patient, TimeSpan.FromMinutes(5))) is { Succeeded: true } held)
                        {
                            if (!engine.TryRelease(held.Reservation).Succeeded)
                            {
                                throw new InvalidOperationException("A live hold must release.");
                            }

                            break;
                        }
                    }
                }

                if (round > 0)
                {
                    cpu[e] += ThreadCpuClock.ThreadOrProcessSeconds() - t0;
                }
            }

            if (round > 0)
            {
                pairs += NewPerRound;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"new patients, {rounds - 1} rounds of {NewPerRound:N0} first holds, each released: CPU µs per hold + release"));
        for (var e = 0; e < caps.Length; e++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| cap {caps[e]} | {cpu[e] / pairs * 1e6:F3} |"));
        }
    }
}
