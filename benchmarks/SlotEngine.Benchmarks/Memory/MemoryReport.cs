using System.Diagnostics;
using System.Globalization;
using SlotEngine.Benchmarks.Infrastructure;

namespace SlotEngine.Benchmarks.Memory;

/// <summary>
/// <c>--memory [--providers N]</c>: builds N providers (default 150,000, in clinics of 100) × 15
/// days × 48 slots (<see cref="DayTemplate.Standard"/>), books every slot (no quotas, 10,000
/// patients, two threads), and prints the managed heap after each phase and the bytes per slot.
/// Not a timing benchmark: one pass, measured with <see cref="GC.GetTotalMemory(bool)"/> after a
/// full collection, and <see cref="GC.GetGCMemoryInfo()"/> for the heap as the GC sees it.
/// </summary>
internal static class MemoryReport
{
    private const int Days = 15;
    private const int ProvidersPerClinic = 100;
    private const int Patients = 10_000;

    public static int Run(string[] args)
    {
        var providers = ReadProviders(args);
        var template = DayTemplate.Standard;
        var slots = (long)providers * Days * template.SlotCount;
        var clock = Stopwatch.StartNew();
        var rows = new List<(string Phase, long Heap, TimeSpan Took)>();

        var baseline = Settle();
        rows.Add(("start", baseline, TimeSpan.Zero));

        var engine = new InMemorySlotEngine(new SlotEngineOptions { Quotas = QuotaPolicy.None });
        Register(engine, providers);
        rows.Add(("providers registered", Settle(), Lap(clock)));

        var firstDay = engine.Today.AddDays(engine.Options.EarliestBookableDayOffset);
        for (var p = 0; p < providers; p++)
        {
            for (var d = 0; d < Days; d++)
            {
                engine.Publish(new ProviderId(p), firstDay.AddDays(d), template);
            }
        }

        rows.Add(("15 days published", Settle(), Lap(clock)));

        var booked = BookAll(engine, providers, firstDay, template);
        if (booked != slots)
        {
            Console.Error.WriteLine($"Only {booked:N0} of {slots:N0} slots were booked; the report would not be of a full engine.");
            return 1;
        }

        rows.Add(("every slot booked", Settle(), Lap(clock)));
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        Print(providers, slots, rows, info);
        GC.KeepAlive(engine);
        return 0;
    }

    private static void Register(InMemorySlotEngine engine, int providers)
    {
        var clinics = (providers + ProvidersPerClinic - 1) / ProvidersPerClinic;
        for (var c = 0; c < clinics; c++)
        {
            var facility = new FacilityId(c / 10);
            engine.Directory.AddFacility(facility, new CityCode(1 + (c / 10 % 81)));
            engine.Directory.AddClinic(new ClinicId(c), facility, new BranchId(c % 10));
        }

        for (var p = 0; p < providers; p++)
        {
            engine.Directory.AddProvider(new ProviderId(p), new ClinicId(p / ProvidersPerClinic));
        }
    }

    /// <summary>Books every slot one by one through the public API, on two threads; returns how many succeeded.</summary>
    private static long BookAll(InMemorySlotEngine engine, int providers, DateOnly firstDay, DayTemplate template)
    {
        var patients = new PatientKey[Patients];
        for (var i = 0; i < Patients; i++)
        {
            patients[i] = EngineSetup.Patient(engine, i);
        }

        var booked = new long[2];
        var threads = new Thread[2];
        for (var t = 0; t < threads.Length; t++)
        {
            var worker = t;
            threads[t] = new Thread(() =>
            {
                var count = 0L;
                for (var p = worker; p < providers; p += 2)
                {
                    for (var d = 0; d < Days; d++)
                    {
                        var calendar = new CalendarKey(new ProviderId(p), firstDay.AddDays(d));
                        for (var s = 0; s < template.SlotCount; s++)
                        {
                            var request = ClaimRequest.Book(calendar, SlotRange.Single(s), patients[(p + s) % Patients]);
                            if (engine.TryClaim(in request).Succeeded)
                            {
                                count++;
                            }
                        }
                    }
                }

                booked[worker] = count;
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        return booked[0] + booked[1];
    }

    private static long Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static TimeSpan Lap(Stopwatch clock)
    {
        var elapsed = clock.Elapsed;
        clock.Restart();
        return elapsed;
    }

    private static void Print(int providers, long slots, List<(string Phase, long Heap, TimeSpan Took)> rows, GCMemoryInfo info)
    {
        var c = CultureInfo.InvariantCulture;
        var baseline = rows[0].Heap;
        Console.WriteLine(string.Create(c, $"SlotEngine memory: {providers:N0} providers × {Days} days × {DayTemplate.Standard.SlotCount} slots = {slots:N0} slots"));
        Console.WriteLine(string.Create(c, $".NET {Environment.Version}, {Environment.ProcessorCount} cores, server GC: {System.Runtime.GCSettings.IsServerGC}"));
        Console.WriteLine();
        Console.WriteLine("| phase | managed heap (GetTotalMemory) | growth from start | bytes per slot | phase took |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var (phase, heap, took) in rows)
        {
            var growth = heap - baseline;
            Console.WriteLine(string.Create(c, $"| {phase} | {Mb(heap)} | {Mb(growth)} | {(double)growth / slots:F2} | {took.TotalSeconds:F1} s |"));
        }

        var published = rows[2].Heap - rows[1].Heap;
        var booking = rows[3].Heap - rows[2].Heap;
        var total = rows[3].Heap - baseline;
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"calendars (publish):      {(double)published / slots,6:F2} bytes per slot"));
        Console.WriteLine(string.Create(c, $"booking every slot adds:  {(double)booking / slots,6:F2} bytes per slot"));
        Console.WriteLine(string.Create(c, $"total per booked slot:    {(double)total / slots,6:F2} bytes per slot (directory included)"));
        Console.WriteLine();
        Console.WriteLine(string.Create(c, $"GC.GetGCMemoryInfo: heap size {Mb(info.HeapSizeBytes)}, committed {Mb(info.TotalCommittedBytes)}, fragmented {Mb(info.FragmentedBytes)}, promoted {Mb(info.PromotedBytes)}"));
        Console.WriteLine(string.Create(c, $"process working set {Mb(Environment.WorkingSet)}"));
    }

    private static string Mb(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):N1} MiB");

    private static int ReadProviders(string[] args)
    {
        var at = Array.IndexOf(args, "--providers");
        if (at < 0)
        {
            return 150_000;
        }

        if (at + 1 >= args.Length || !int.TryParse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var providers) || providers < 1 || providers > ProviderId.MaxValue)
        {
            throw new ArgumentException($"--providers needs a number from 1 to {ProviderId.MaxValue}.", nameof(args));
        }

        return providers;
    }
}
