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
    ProcCounters Transport = default)
{
    public double PerSecond => Bookings / Seconds;
}

/// <summary>
/// The load generator's citizens against one contender: each worker takes a citizen of a city
/// (by the map's demand), a branch (by the city's demand), searches the earliest 3 free slots of
/// that city and branch over the open days, holds one of them at random, and confirms (90 %) or
/// walks away (10 %). Taken: search again; quota: search again from the next day; at most 4
/// searches. A closed loop of <c>workers</c> until <c>bookings</c> are confirmed or the time is up.
/// </summary>
internal static class BookingDay
{
    private const int Choices = 3;
    private const int MaxAttempts = 4;
    private const double ConfirmShare = 0.9;
    private static readonly TimeSpan HoldTtl = TimeSpan.FromMinutes(5);

    public static async Task<BookingRun> RunAsync(BookingBackend backend, NationalMap map, CitizenPool citizens, DateOnly[] days, int workers, long bookings, TimeSpan limit, long seed)
    {
        var booked = 0L;
        var taken = 0L;
        var quota = 0L;
        var ledgers = new List<(List<ClaimRecord> Bookings, List<ClaimRecord> WalkAways, List<long> Latencies)>();
        var serverBefore = await backend.SampleAsync().ConfigureAwait(false);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var mine = (new List<ClaimRecord>(), new List<ClaimRecord>(), new List<long>());
            ledgers.Add(mine);
            var index = w;
            tasks[w] = Task.Run(async () =>
            {
                var random = new FastRandom(seed, index);
                var found = new Candidate[Choices];
                while (Interlocked.Read(ref booked) < bookings && clock.Elapsed < limit)
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
                        if (held.Status != HoldStatus.Held)
                        {
                            Interlocked.Increment(ref quota); // nothing free that the quotas allow
                            continue;
                        }

                        if (!random.Chance(ConfirmShare))
                        {
                            mine.Item2.Add(new ClaimRecord(slot, patient, held.Token, held.Reservation));
                            continue;
                        }

                        var (booked1, token1, booking1) = await backend.ConfirmAsync(slot, held).ConfigureAwait(false);
                        if (booked1)
                        {
                            mine.Item1.Add(new ClaimRecord(slot, patient, token1, booking1));
                            mine.Item3.Add(Stopwatch.GetTimestamp() - started);
                            Interlocked.Increment(ref booked);
                        }

                        continue;
                    }

                    for (var attempt = 0; attempt < MaxAttempts && from <= days[^1]; attempt++)
                    {
                        var count = await backend.SearchAsync(cityIndex + 1, branch, from, days[^1], found).ConfigureAwait(false);
                        if (count == 0)
                        {
                            break;
                        }

                        var pick = found[random.Next(count)];
                        var hold = await backend.HoldAsync(pick, patient, HoldTtl).ConfigureAwait(false);
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
                            mine.Item2.Add(new ClaimRecord(pick, patient, hold.Token, hold.Reservation));
                            break;
                        }

                        var (ok, token, booking) = await backend.ConfirmAsync(pick, hold).ConfigureAwait(false);
                        if (ok)
                        {
                            mine.Item1.Add(new ClaimRecord(pick, patient, token, booking));
                            mine.Item3.Add(Stopwatch.GetTimestamp() - started);
                            Interlocked.Increment(ref booked);
                        }

                        break;
                    }
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        clock.Stop();
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds;
        var serverAfter = await backend.SampleAsync().ConfigureAwait(false);
        var n = Math.Max(1, booked);
        var latencies = ledgers.SelectMany(l => l.Latencies).Order().ToArray();
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var recount = await backend.RecountAsync(ledgers.SelectMany(l => l.Bookings).ToList(), ledgers.SelectMany(l => l.WalkAways).ToList()).ConfigureAwait(false);
        var isServer = serverAfter.RoundTrips > 0 || serverAfter.CpuSeconds > 0;
        return new BookingRun(
            backend.Name,
            backend.Notes,
            booked,
            clock.Elapsed.TotalSeconds,
            cpu / n,
            isServer ? (serverAfter.CpuSeconds - serverBefore.CpuSeconds) * 1e6 / n : null,
            isServer ? (serverAfter.RoundTrips - serverBefore.RoundTrips) / (double)n : null,
            isServer ? (serverAfter.ServerCommands - serverBefore.ServerCommands) / (double)n : null,
            serverAfter.Reloads > 0 ? (serverAfter.Reloads - serverBefore.Reloads) / (double)n : null,
            taken,
            quota,
            latencies.Length == 0 ? 0 : Ms(latencies[latencies.Length / 2]),
            latencies.Length == 0 ? 0 : Ms(latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))]),
            recount,
            serverAfter.Transport - serverBefore.Transport);
    }
}
