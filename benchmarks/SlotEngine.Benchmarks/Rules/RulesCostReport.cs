using System.Globalization;
using System.Text;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.Benchmarks.Rules;

/// <summary>
/// <c>--rules-cost [--threads 2] [--rounds N]</c>: what each of issue 11's rules adds to a claim and its confirm in memory,
/// side by side in one process. One engine per variant (no rule; the actor and channel mix alone; the audit stream; the
/// call centre's per-call limit; the active cap of 3; bars; approval; all of them, as the load generator's default run
/// sets them), each with 20,000 providers × 6 days, 300,000 patients; the variants' batches of 20,000 holds (70 % for
/// tomorrow, the rest spread over 6 days; 15 % through the call centre in calls of 1 to 6 claims, 10 % of patients
/// exempt from bars) are interleaved in a random order each round, and the calling threads' CPU time per confirmed
/// booking is summed over rounds 2..N. Not a BenchmarkDotNet suite: per-operation CPU, which holds on a shared machine
/// where wall time does not (docs/lifecycle.md, "What each part costs").
/// </summary>
internal static class RulesCostReport
{
    private const int Providers = 20_000;
    private const int Clinics = 400;
    private const int Days = 6;
    private const int Patients = 300_000;
    private const int Batch = 20_000;

    public static int Run(string[] args)
    {
        var threads = Read(args, "--threads", 1);
        var rounds = Read(args, "--rounds", 10);
        var variants = new (string Name, Action<SlotEngineOptions> Set, bool Dress)[]
        {
            ("none", _ => { }, false),
            ("mix only", _ => { }, true),
            ("audit", o => { o.Audit = true; o.ExpectedAuditRecords = 2 * Batch * rounds; }, true),
            ("per-call limit", o => o.Actors = ActorPolicy.Mhrs, true),
            ("active cap 3", o => o.MaxActiveAppointments = 3, true),
            ("bars", o => o.Bars = BarPolicy.Mhrs, true),
            ("approval", o => o.Approval = ApprovalPolicy.Mhrs, true),
            ("all", o =>
            {
                o.Audit = true;
                o.ExpectedAuditRecords = 2 * Batch * rounds;
                o.Actors = ActorPolicy.Mhrs;
                o.MaxActiveAppointments = 3;
                o.Bars = BarPolicy.Mhrs;
                o.Approval = ApprovalPolicy.Mhrs;
            }, true),
        };

        var start = new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3));
        var today = new DateOnly(2026, 11, 22);
        var hasher = new PatientKeyHasher(Encoding.ASCII.GetBytes("slotengine-rules-cost-secret-0123456789"));
        var engines = new InMemorySlotEngine[variants.Length];
        PatientKey[]? patients = null;
        for (var v = 0; v < variants.Length; v++)
        {
            var options = new SlotEngineOptions { TimeProvider = new FixedTime(start), PatientKeyHasher = hasher, ExpectedPatients = Patients, ExpectedClaimsPerDay = 200_000 };
            variants[v].Set(options);
            var engine = new InMemorySlotEngine(options);
            CostReportCountry.Build(engine, Providers, Clinics, today, Days);

            patients ??= Enumerable.Range(0, Patients).Select(n => engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + (n * 7)))).ToArray();
            engines[v] = engine;
        }

        var cpu = new double[variants.Length];
        var booked = new long[variants.Length];
        var order = new Random(1);
        for (var round = 0; round < rounds; round++)
        {
            foreach (var v in Enumerable.Range(0, variants.Length).OrderBy(_ => order.Next()).ToArray())
            {
                var requests = Requests(patients!, today, round, v, variants[v].Dress);
                GC.Collect();
                var (seconds, count) = RunBatch(engines[v], requests, threads);
                if (round > 0)
                {
                    cpu[v] += seconds;
                    booked[v] += count;
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rules cost, {threads} thread(s), {rounds - 1} rounds of {Batch:N0} holds per variant: CPU µs per confirmed booking (hold + confirm; 1 in 16 released)"));
        Console.WriteLine("| variant | CPU µs per booking | bookings | added |");
        Console.WriteLine("| --- | --- | --- | --- |");
        var bare = cpu[0] / booked[0];
        for (var v = 0; v < variants.Length; v++)
        {
            var each = cpu[v] / booked[v];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {variants[v].Name} | {each * 1e6:F3} | {booked[v]:N0} | {(each - bare) * 1e6:+0.000;-0.000} |"));
        }

        return 0;
    }

    private static ClaimRequest[] Requests(PatientKey[] patients, DateOnly today, int round, int variant, bool dress)
    {
        var random = new Random((round * 100) + variant);
        var requests = new ClaimRequest[Batch];
        var call = 0;
        var leftInCall = 0;
        for (var i = 0; i < Batch; i++)
        {
            var patient = patients[random.Next(patients.Length)];
            var day = random.Next(10) < 7 ? today.AddDays(1) : today.AddDays(1 + random.Next(Days));
            var request = ClaimRequest.Hold(new CalendarKey(new ProviderId(1 + random.Next(Providers)), day), SlotRange.Single(random.Next(DayTemplate.Standard.SlotCount)), patient, TimeSpan.FromMinutes(5));
            if (dress)
            {
                var attributes = patient.Value % 100 < 10 ? PatientAttributes.Over65 : PatientAttributes.None;
                var draw = random.NextDouble();
                if (draw is >= 0.80 and < 0.95)
                {
                    if (leftInCall-- <= 0)
                    {
                        call++;
                        leftInCall = 1 + random.Next(6);
                    }

                    request = request with { PatientAttributes = attributes, Actor = Actor.CallCentreAgent, Channel = BookingChannel.CallCentre, CallId = string.Create(CultureInfo.InvariantCulture, $"r{round}c{call}") };
                }
                else
                {
                    request = request with { PatientAttributes = attributes, Actor = Actor.Patient, Channel = BookingChannel.Mobile };
                }
            }

            requests[i] = request;
        }

        return requests;
    }

    private static (double Seconds, long Booked) RunBatch(InMemorySlotEngine engine, ClaimRequest[] requests, int threads)
    {
        var seconds = new double[threads];
        var booked = new long[threads];
        using var go = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(k => new Thread(() =>
        {
            go.SignalAndWait();
            var t0 = ThreadCpuClock.ThreadOrProcessSeconds();
            long n = 0;
            for (var i = k; i < requests.Length; i += threads)
            {
                var hold = engine.TryClaim(requests[i]);
                if (hold.Succeeded && engine.TryConfirm(hold.Reservation) is { Succeeded: true } booking)
                {
                    n++;
                    if ((i & 15) == 0)
                    {
                        engine.TryRelease(booking.Reservation);
                    }
                }
            }

            seconds[k] = ThreadCpuClock.ThreadOrProcessSeconds() - t0;
            booked[k] = n;
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        return (seconds.Sum(), booked.Sum());
    }

    /// <summary>The integer after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="fallback"/>.</summary>
    internal static int Read(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
