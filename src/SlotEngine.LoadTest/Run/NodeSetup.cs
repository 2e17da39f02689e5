using System.Diagnostics;
using SlotEngine.LoadTest.Reports;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// What several API nodes need before the load: in one process (<c>--nodes N</c>), every engine but
/// the one that opened the days loads them into its read model; across processes (<c>--node-id</c>,
/// <c>--node-count</c>), node 0 opens the days and says so on a coordination key, and the others wait
/// for it, then load them. Each process books with its own citizens (a block of national IDs of its
/// own) and its own random streams.
/// </summary>
internal static class NodeSetup
{
    /// <summary>How long a node waits for node 0 to open the days.</summary>
    private static readonly TimeSpan PublishWait = TimeSpan.FromHours(1);

    /// <summary>The seed that picks this process's citizens: node k takes the k-th block of IDs, so no two processes share a citizen.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <returns>The seed for <see cref="Scenario.CitizenPool.Create"/>.</returns>
    public static long CitizenSeed(LoadSettings settings) => settings.Seed + ((long)settings.NodeId * settings.Citizens);

    /// <summary>The seed of this process's workers' random streams (node 0: the run's seed).</summary>
    /// <param name="settings">The run's settings.</param>
    /// <returns>The seed.</returns>
    public static long WorkerSeed(LoadSettings settings) => settings.Seed + ((long)settings.NodeId * 1_000_003);

    /// <summary>The key node 0 sets once the days are open (outside the store's key prefix).</summary>
    /// <param name="settings">The run's settings (with a run id).</param>
    /// <param name="what">The key's name.</param>
    /// <returns>The key.</returns>
    public static string CoordinationKey(LoadSettings settings, string what) => "se-load-coord:" + settings.RunId + ":" + what;

    /// <summary>Waits for the days (other processes), then warms the read models of the engines that did not open them.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="engines">This process's engines; engine 0 of node 0 opened the days.</param>
    /// <param name="probe">The INFO connection (carries the coordination keys).</param>
    /// <param name="days">The open days.</param>
    /// <param name="steps">Setup steps, to add to.</param>
    /// <param name="output">Progress lines.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task.</returns>
    public static async Task AfterPublishAsync(LoadSettings settings, IReadOnlyList<ISlotEngine> engines, RedisRunProbe? probe, DateOnly[] days, List<(string Step, double Seconds)> steps, ProgressOutput output, CancellationToken cancellationToken)
    {
        var step = Stopwatch.StartNew();
        if (settings.NodeCount > 1)
        {
            if (probe is null)
            {
                throw new InvalidOperationException("--node-count above 1 needs the load generator's own Redis connection (for the coordination keys), and it could not connect.");
            }

            var key = CoordinationKey(settings, "published");
            if (settings.NodeId == 0)
            {
                await probe.Server.SetAsync(key, 1).ConfigureAwait(false);
            }
            else
            {
                output.Line($"Node {settings.NodeId} of {settings.NodeCount}: waiting for node 0 to open the days (run '{settings.RunId}')…");
                var lastWord = Stopwatch.StartNew();
                while (await probe.Server.GetAsync(key).ConfigureAwait(false) != 1)
                {
                    if (step.Elapsed > PublishWait)
                    {
                        throw new TimeoutException($"Node 0 of run '{settings.RunId}' did not open the days within {PublishWait.TotalMinutes:0} minutes.");
                    }

                    if (lastWord.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        output.Line($"  still waiting for node 0 ({step.Elapsed.TotalSeconds:0} s)…");
                        lastWord.Restart();
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
                }

                steps.Add(("waited for node 0", step.Elapsed.TotalSeconds));
            }
        }

        // The engines that did not open the days load them into their read models (and follow them).
        var warm = engines.Where((_, n) => n > 0 || settings.NodeId > 0).OfType<Redis.RedisSlotEngine>().ToArray();
        if (warm.Length == 0)
        {
            return;
        }

        step.Restart();
        var calendars = 0L;
        var held = 0L;
        await Parallel.ForAsync(0, settings.Providers * warm.Length, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var (loaded, had) = await WarmProviderAsync(warm[i % warm.Length], new ProviderId(i / warm.Length), days, ct).ConfigureAwait(false);
            Interlocked.Add(ref calendars, loaded);
            Interlocked.Add(ref held, had);
        }).ConfigureAwait(false);
        steps.Add(("read models warmed", step.Elapsed.TotalSeconds));
        output.Line($"Warmed {warm.Length} more node(s)' read models: {calendars:N0} calendars loaded with WatchAsync, {held:N0} held already from the feed ({step.Elapsed.TotalSeconds:0.0} s).");
    }

    /// <summary>
    /// Loads into one node's read model the provider's open days it does not hold yet. A node that followed the feed while
    /// node 0 opened the days (one standalone server: one channel, every node hears every <c>reset</c>) laid each day in
    /// from its message already; loading it again read the whole calendar back from Redis (2.25 M reads per extra node at
    /// national size) and made as much garbage, for nothing. On a cluster a node follows a slot's channel only once it
    /// watches a calendar of the slot, so there it holds nothing yet and every day is loaded, as before.
    /// </summary>
    /// <param name="engine">The node.</param>
    /// <param name="provider">The provider.</param>
    /// <param name="days">The open days, in order.</param>
    /// <param name="cancellationToken">Stops loading.</param>
    /// <returns>How many days were loaded, and how many were held already.</returns>
    internal static async Task<(int Loaded, int Held)> WarmProviderAsync(Redis.RedisSlotEngine engine, ProviderId provider, DateOnly[] days, CancellationToken cancellationToken)
    {
        // Answered from the read model: one entry per day it holds.
        var counts = await engine.GetFreeCountsAsync(provider, days[0], days[^1], cancellationToken).ConfigureAwait(false);
        if (counts.Count == days.Length)
        {
            return (0, counts.Count);
        }

        if (counts.Count == 0)
        {
            return (await engine.WatchAsync(provider, days[0], days[^1], cancellationToken).ConfigureAwait(false), 0);
        }

        var loaded = 0;
        foreach (var day in days)
        {
            if (!counts.Any(c => c.Day == day))
            {
                loaded += await engine.WatchAsync(provider, day, day, cancellationToken).ConfigureAwait(false);
            }
        }

        return (loaded, counts.Count);
    }

    /// <summary>How long node 0 waits for the other processes' recounts.</summary>
    private static readonly TimeSpan RecountWait = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The designated recount across processes (<c>--node-count</c> above 1). Every process adds its
    /// live bookings to a coordination counter once its own recount is done; node 0 waits for all of
    /// them, then counts the booked seats on every calendar of the open days and compares: a booked
    /// seat that no process's ledger has (<c>engine_bookings_without_any_ledger</c>) or a ledger
    /// booking the engine lost (<c>ledger_bookings_missing_across_processes</c>) is a violation. The
    /// other processes only report.
    /// </summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="engine">This process's first engine.</param>
    /// <param name="probe">The coordination connection.</param>
    /// <param name="report">This process's recount, to add to.</param>
    /// <param name="providers">Providers in the country.</param>
    /// <param name="days">The open days.</param>
    /// <param name="output">Progress lines.</param>
    /// <returns>A task.</returns>
    public static async Task CrossCheckAsync(LoadSettings settings, ISlotEngine engine, RedisRunProbe? probe, InvariantReport report, int providers, DateOnly[] days, ProgressOutput output)
    {
        if (settings.NodeCount <= 1 || probe is null)
        {
            return;
        }

        await probe.Server.AddAsync(CoordinationKey(settings, "ledger-bookings"), report.LedgerBookings).ConfigureAwait(false);
        var done = await probe.Server.AddAsync(CoordinationKey(settings, "recounted"), 1).ConfigureAwait(false);
        if (settings.NodeId != 0)
        {
            return;
        }

        output.Line($"Node 0: waiting for the other {settings.NodeCount - 1} process(es) to finish their recounts…");
        var waited = Stopwatch.StartNew();
        while (done < settings.NodeCount)
        {
            if (waited.Elapsed > RecountWait)
            {
                report.Violation("processes_missing_from_the_cross_check");
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
            done = await probe.Server.GetAsync(CoordinationKey(settings, "recounted")).ConfigureAwait(false);
        }

        var ledgers = await probe.Server.GetAsync(CoordinationKey(settings, "ledger-bookings")).ConfigureAwait(false);
        var calendars = new CalendarKey[(long)providers * days.Length];
        for (var p = 0; p < providers; p++)
        {
            for (var d = 0; d < days.Length; d++)
            {
                calendars[((long)p * days.Length) + d] = new CalendarKey(new ProviderId(p), days[d]);
            }
        }

        long booked = 0;
        await Parallel.ForAsync(0, calendars.Length, new ParallelOptions { MaxDegreeOfParallelism = InvariantChecker.InFlight }, async (i, ct) =>
        {
            var snapshot = await engine.GetCalendarAsync(calendars[i], ct).ConfigureAwait(false);
            long seats = 0;
            for (var slot = 0; slot < snapshot.SlotCount; slot++)
            {
                for (var seat = 0; seat < snapshot.Capacity; seat++)
                {
                    if (snapshot[slot, seat].Status == SlotStatus.Booked)
                    {
                        seats++;
                    }
                }
            }

            Interlocked.Add(ref booked, seats);
        }).ConfigureAwait(false);
        report.AllProcessesLedgerBookings = ledgers;
        report.AllProcessesEngineBookedSeats = booked;
        for (var extra = booked - ledgers; extra > 0; extra--)
        {
            report.Violation("engine_bookings_without_any_ledger");
        }

        for (var missing = ledgers - booked; missing > 0; missing--)
        {
            report.Violation("ledger_bookings_missing_across_processes");
        }

        output.Line($"Node 0: {booked:N0} booked seats on all {calendars.Length:N0} calendars; the {settings.NodeCount} processes' ledgers hold {ledgers:N0} live bookings.");
    }
}
