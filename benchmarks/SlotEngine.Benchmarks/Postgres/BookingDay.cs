using System.Diagnostics;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.Benchmarks.Postgres;

/// <summary>What one contender's run measured.</summary>
internal sealed record BookingRun(
    string Name,
    string Notes,
    long Bookings,
    double Seconds,
    double ClientCpuMicrosPerBooking,
    double? ServerCpuMicrosPerBooking,
    double? RoundTripsPerBooking,
    double? ServerCommandsPerBooking,
    double? ReloadsPerBooking,
    long HoldsTaken,
    long QuotaRefusals,
    double P50Ms,
    double P99Ms,
    Recount Recount,
    ProcCounters Transport = default,
    WallTime? Wall = null)
{
    public double PerSecond => Bookings / Seconds;
}

/// <summary>One step's calls in the measured window: how many per booking, their p50 and p99, and the wall time they took per booking.</summary>
internal readonly record struct StepTimes(double CallsPerBooking, double P50Micros, double P99Micros, double MicrosPerBooking)
{
    public static StepTimes Of(long[] sortedTicks, long bookings)
    {
        if (sortedTicks.Length == 0)
        {
            return default;
        }

        double Us(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
        var n = (double)Math.Max(1, bookings);
        return new StepTimes(sortedTicks.Length / n, Us(sortedTicks[sortedTicks.Length / 2]),
            Us(sortedTicks[Math.Min(sortedTicks.Length - 1, (int)(sortedTicks.Length * 0.99))]), Us(sortedTicks.Sum()) / n);
    }
}

/// <summary>
/// Where a booking's wall time went in the measured window: a worker's time per booking (workers × seconds ÷ bookings,
/// which a closed loop of workers makes exactly 1 ÷ its share of the bookings/s), split into the steps' calls and the
/// rest (the loop's own picks, a hold walked away from, and a worker waiting for a core between calls); with the JIT's
/// compile time, the garbage collections and the thread pool's work items (each a hand-off between threads) in the window.
/// </summary>
internal sealed record WallTime(double MicrosPerBookingPerWorker, StepTimes Search, StepTimes Hold, StepTimes Confirm, double JitMillis, long JitMethods, int Gen0, int Gen1, int Gen2, long WarmupBookings, double PoolItemsPerBooking, string RoundTripsByCommand)
{
    public double OtherMicrosPerBooking => MicrosPerBookingPerWorker - Search.MicrosPerBooking - Hold.MicrosPerBooking - Confirm.MicrosPerBooking;
}

/// <summary>
/// The load generator's citizens against one contender: each worker takes a citizen of a city
/// (by the map's demand), a branch (by the city's demand), searches the earliest 3 free slots of
/// that city and branch over the open days, holds one of them at random, and confirms (90 %) or
/// walks away (10 %). Taken: search again; quota: search again from the next day; at most 4
/// searches. A closed loop of <c>workers</c> until <c>bookings</c> are confirmed or the time is up.
/// </summary>
/// <remarks>
/// Every contender may first book the same way outside the measured window (<see cref="Warmup"/>: citizens of its own, until
/// the JIT is quiet), so that the window measures each one's steady state rather than its first JIT compiles: tier-0 code
/// and the compiler's own CPU (docs/redis-scale.md, "Where a booking's wall time goes"). The warm-up's bookings stay in the
/// store and are recounted with the window's.
/// </remarks>
internal static class BookingDay
{
    private const int Choices = 3;
    private const int MaxAttempts = 4;
    private const double ConfirmShare = 0.9;
    private static readonly TimeSpan HoldTtl = TimeSpan.FromMinutes(5);

    /// <summary>A worker's records: its bookings and holds walked away from (for the recount), and its calls' times in ticks.</summary>
    private sealed class WorkerLog
    {
        public readonly List<ClaimRecord> Bookings = [];
        public readonly List<ClaimRecord> WalkAways = [];
        public readonly List<long> Latencies = [];
        public readonly List<long> Searches = [];
        public readonly List<long> Holds = [];
        public readonly List<long> Confirms = [];

        public void ClearTimes()
        {
            Latencies.Clear();
            Searches.Clear();
            Holds.Clear();
            Confirms.Clear();
        }
    }

    /// <summary>A warm-up before the window: its own citizens (so that the window's quotas are untouched), its longest time and most bookings.</summary>
    internal sealed record Warmup(CitizenPool Citizens, TimeSpan Longest, long MostBookings);

    /// <summary>A phase's bookings so far (workers add) and its stop (the warm-up sets it).</summary>
    private sealed class PhaseControl
    {
        public long Booked;
        public bool Stop;
    }

    private readonly record struct Phase(long Booked, long Taken, long Quota, double Seconds);

    /// <summary>Warm-ups end once the JIT has compiled no method for this long (after at least <see cref="WarmupAtLeast"/>), as the load generator's.</summary>
    private static readonly TimeSpan WarmupQuietFor = TimeSpan.FromSeconds(1);

    /// <summary>The shortest warm-up.</summary>
    private static readonly TimeSpan WarmupAtLeast = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The fewest bookings a warm-up makes (unless its cap is lower): on an oversubscribed machine a contender can make so
    /// little progress that the JIT looks quiet for a second while most of its path is still tier-0 (seen: 661 bookings).
    /// </summary>
    private const long WarmupAtLeastBookings = 5_000;

    public static async Task<BookingRun> RunAsync(BookingBackend backend, NationalMap map, CitizenPool citizens, DateOnly[] days, int workers, long bookings, TimeSpan limit, long seed, Warmup? warmup = null)
    {
        var logs = Enumerable.Range(0, workers).Select(_ => new WorkerLog()).ToArray();
        if (warmup is { } warm && warm.Longest > TimeSpan.Zero && warm.MostBookings > 0)
        {
            await WarmUpAsync(backend, map, days, logs, warm, seed).ConfigureAwait(false);
        }

        var warmed = logs.Sum(l => (long)l.Bookings.Count);
        var serverBefore = await backend.SampleAsync().ConfigureAwait(false);
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var methodsBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var poolBefore = ThreadPool.CompletedWorkItemCount;
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var phase = await RunPhaseAsync(backend, map, citizens, days, logs, bookings, limit, seed).ConfigureAwait(false);
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds;
        var jit = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalMilliseconds;
        var methods = System.Runtime.JitInfo.GetCompiledMethodCount() - methodsBefore;
        var poolItems = ThreadPool.CompletedWorkItemCount - poolBefore;
        var gc = (GC.CollectionCount(0) - gcBefore.Item1, GC.CollectionCount(1) - gcBefore.Item2, GC.CollectionCount(2) - gcBefore.Item3);
        var serverAfter = await backend.SampleAsync().ConfigureAwait(false);
        var booked = phase.Booked;
        var n = Math.Max(1, booked);
        long[] Sorted(Func<WorkerLog, List<long>> of) => logs.SelectMany(of).Order().ToArray();
        var latencies = Sorted(l => l.Latencies);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var wall = new WallTime(workers * phase.Seconds * 1e6 / n, StepTimes.Of(Sorted(l => l.Searches), booked), StepTimes.Of(Sorted(l => l.Holds), booked),
            StepTimes.Of(Sorted(l => l.Confirms), booked), jit, methods, gc.Item1, gc.Item2, gc.Item3, warmed, poolItems / (double)n,
            ByCommand(serverBefore.RoundTripsByCommand, serverAfter.RoundTripsByCommand, n));
        var recount = await backend.RecountAsync(logs.SelectMany(l => l.Bookings).ToList(), logs.SelectMany(l => l.WalkAways).ToList()).ConfigureAwait(false);
        var isServer = serverAfter.RoundTrips > 0 || serverAfter.CpuSeconds > 0;
        return new BookingRun(
            backend.Name,
            backend.Notes,
            booked,
            phase.Seconds,
            cpu / n,
            isServer ? (serverAfter.CpuSeconds - serverBefore.CpuSeconds) * 1e6 / n : null,
            isServer ? (serverAfter.RoundTrips - serverBefore.RoundTrips) / (double)n : null,
            isServer ? (serverAfter.ServerCommands - serverBefore.ServerCommands) / (double)n : null,
            serverAfter.Reloads > 0 ? (serverAfter.Reloads - serverBefore.Reloads) / (double)n : null,
            phase.Taken,
            phase.Quota,
            latencies.Length == 0 ? 0 : Ms(latencies[latencies.Length / 2]),
            latencies.Length == 0 ? 0 : Ms(latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))]),
            recount,
            serverAfter.Transport - serverBefore.Transport,
            wall);
    }

    /// <summary>
    /// Books as the window will, with the warm-up's own citizens, until the JIT has been quiet for <see cref="WarmupQuietFor"/>
    /// (after at least <see cref="WarmupAtLeast"/> and <see cref="WarmupAtLeastBookings"/>), or <see cref="Warmup.Longest"/> has passed, or <see cref="Warmup.MostBookings"/>
    /// are booked; its bookings and walk-aways stay in <paramref name="logs"/> for the recount, its times are dropped.
    /// </summary>
    private static async Task WarmUpAsync(BookingBackend backend, NationalMap map, DateOnly[] days, WorkerLog[] logs, Warmup warmup, long seed)
    {
        var control = new PhaseControl();
        var clock = Stopwatch.StartNew();
        var load = RunPhaseAsync(backend, map, warmup.Citizens, days, logs, warmup.MostBookings, warmup.Longest, seed + 7_919, control);
        var methods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = TimeSpan.Zero;
        while (!load.IsCompleted)
        {
            await Task.WhenAny(load, Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System)).ConfigureAwait(false);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != methods)
            {
                methods = now;
                quietSince = clock.Elapsed;
            }
            else if (clock.Elapsed >= WarmupAtLeast && Interlocked.Read(ref control.Booked) >= WarmupAtLeastBookings && clock.Elapsed - quietSince >= WarmupQuietFor)
            {
                break;
            }
        }

        Volatile.Write(ref control.Stop, true);
        var phase = await load.ConfigureAwait(false);
        Console.Error.WriteLine($"  warmed up: {phase.Booked:N0} bookings in {phase.Seconds:0.0} s, the JIT quiet for the last {(clock.Elapsed - quietSince).TotalSeconds:0.0} s (recounted with the window, not in its figures)");
        foreach (var log in logs)
        {
            log.ClearTimes();
        }
    }

    /// <summary>Round trips per booking by command between two samples, largest first ("" without a meter).</summary>
    private static string ByCommand(IReadOnlyDictionary<string, long>? before, IReadOnlyDictionary<string, long>? after, long bookings) =>
        after is null
            ? string.Empty
            : string.Join(", ", after.Select(c => (c.Key, Count: c.Value - (before?.GetValueOrDefault(c.Key) ?? 0))).Where(c => c.Count > 0)
                .OrderByDescending(c => c.Count).Select(c => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{c.Key} {c.Count / (double)Math.Max(1, bookings):0.000}")));

    /// <summary>The closed loop of one worker per log until <paramref name="bookings"/> are confirmed or <paramref name="limit"/> is up.</summary>
    private static async Task<Phase> RunPhaseAsync(BookingBackend backend, NationalMap map, CitizenPool citizens, DateOnly[] days, WorkerLog[] logs, long bookings, TimeSpan limit, long seed, PhaseControl? control = null)
    {
        control ??= new PhaseControl();
        var taken = 0L;
        var quota = 0L;
        var clock = Stopwatch.StartNew();
        var tasks = new Task[logs.Length];
        for (var w = 0; w < logs.Length; w++)
        {
            var mine = logs[w];
            var index = w;
            tasks[w] = Task.Run(async () =>
            {
                var random = new FastRandom(seed, index);
                var found = new Candidate[Choices];
                while (Interlocked.Read(ref control.Booked) < bookings && clock.Elapsed < limit && !Volatile.Read(ref control.Stop))
                {
                    var started = Stopwatch.GetTimestamp();
                    var cityIndex = map.CityDemand.Next(ref random);
                    var (branches, demand) = map.BranchDemand[cityIndex];
                    var branch = branches[demand.Next(ref random)];
                    var patient = citizens.Pick(cityIndex + 1, ref random);
                    var from = days[0];
                    if (backend.SearchesAndHoldsAtOnce)
                    {
                        var (held, slot) = await backend.SearchAndHoldAsync(cityIndex + 1, branch, from, days[^1], patient, HoldTtl).ConfigureAwait(false);
                        var searched = Stopwatch.GetTimestamp();
                        mine.Holds.Add(searched - started);
                        if (held.Status != HoldStatus.Held)
                        {
                            Interlocked.Increment(ref quota); // nothing free that the quotas allow
                            continue;
                        }

                        if (!random.Chance(ConfirmShare))
                        {
                            mine.WalkAways.Add(new ClaimRecord(slot, patient, held.Token, held.Reservation));
                            continue;
                        }

                        var (booked1, token1, booking1) = await backend.ConfirmAsync(slot, held).ConfigureAwait(false);
                        var done1 = Stopwatch.GetTimestamp();
                        mine.Confirms.Add(done1 - searched);
                        if (booked1)
                        {
                            mine.Bookings.Add(new ClaimRecord(slot, patient, token1, booking1));
                            mine.Latencies.Add(done1 - started);
                            Interlocked.Increment(ref control.Booked);
                        }

                        continue;
                    }

                    for (var attempt = 0; attempt < MaxAttempts && from <= days[^1]; attempt++)
                    {
                        var before = Stopwatch.GetTimestamp();
                        var count = await backend.SearchAsync(cityIndex + 1, branch, from, days[^1], found).ConfigureAwait(false);
                        var searched = Stopwatch.GetTimestamp();
                        mine.Searches.Add(searched - before);
                        if (count == 0)
                        {
                            break;
                        }

                        var pick = found[random.Next(count)];
                        var asked = Stopwatch.GetTimestamp();
                        var hold = await backend.HoldAsync(pick, patient, HoldTtl).ConfigureAwait(false);
                        var held = Stopwatch.GetTimestamp();
                        mine.Holds.Add(held - asked);
                        if (hold.Status == HoldStatus.Quota)
                        {
                            Interlocked.Increment(ref quota);
                            from = pick.Day.AddDays(1);
                            continue;
                        }

                        if (hold.Status != HoldStatus.Held)
                        {
                            Interlocked.Increment(ref taken);
                            continue;
                        }

                        if (!random.Chance(ConfirmShare))
                        {
                            mine.WalkAways.Add(new ClaimRecord(pick, patient, hold.Token, hold.Reservation));
                            break;
                        }

                        var (ok, token, booking) = await backend.ConfirmAsync(pick, hold).ConfigureAwait(false);
                        var done = Stopwatch.GetTimestamp();
                        mine.Confirms.Add(done - held);
                        if (ok)
                        {
                            mine.Bookings.Add(new ClaimRecord(pick, patient, token, booking));
                            mine.Latencies.Add(done - started);
                            Interlocked.Increment(ref control.Booked);
                        }

                        break;
                    }
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        clock.Stop();
        return new Phase(Interlocked.Read(ref control.Booked), taken, quota, clock.Elapsed.TotalSeconds);
    }
}
