using System.Diagnostics;
using System.Runtime;
using System.Security.Cryptography;
using System.Text;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One run of the nationwide scenario: build the country, register it, open the days, make the
/// citizens, run the workers with live progress, then recount the engine against the ledger.
/// </summary>
internal static class LoadRun
{
    /// <summary>
    /// When the days open in the scenario: a Monday at 10:00 in Istanbul. The booking window is
    /// tomorrow to <see cref="LoadSettings.DaysOpen"/> days ahead.
    /// </summary>
    public static readonly DateTimeOffset ScenarioStart = new(2025, 3, 3, 10, 0, 0, TimeSpan.FromHours(3));

    /// <summary>How much scenario time a run covers: from the release at 10:00 to 10:00 the next day.</summary>
    public static readonly TimeSpan ScenarioSpan = TimeSpan.FromHours(24);

    /// <summary>How long the release rush lasts in scenario time.</summary>
    public static readonly TimeSpan RushSpan = TimeSpan.FromMinutes(2);

    /// <summary>Runs the scenario.</summary>
    /// <param name="settings">The validated settings.</param>
    /// <param name="output">Where progress and messages go.</param>
    /// <param name="cancellationToken">Stops the load early; the check and report still run.</param>
    /// <returns>The result, or <see langword="null"/> when the backend is not available (message written).</returns>
    public static async Task<RunResult?> ExecuteAsync(LoadSettings settings, ProgressOutput output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var setup = Stopwatch.StartNew();

        // In memory the scenario owns time; Redis judges holds and cutoffs by its own TIME, so there
        // the scenario runs in real time from now (holds expire after real minutes).
        var realTime = settings.Backend == BackendKind.Redis;
        var start = realTime ? TimeProvider.System.GetUtcNow().ToOffset(TimeSpan.FromHours(3)) : ScenarioStart;
        var clock = new ScenarioClock(start, realTime);
        var hasher = new PatientKeyHasher(SHA256.HashData(Encoding.UTF8.GetBytes("slotengine-load:" + settings.Seed)));
        // Several load processes run without the waitlist: the wishes are shared in Redis, so a seat one process frees is
        // offered to the next wish, often another process's citizen's, and only the freeing process hears the offer
        // (WaitlistPolicy.OfferMade). It answers for a citizen it does not have, and neither process's ledger then accounts
        // for the seat: the other process's recount finds its citizen holding a seat it never held.
        var waitlist = settings.Waitlist && settings.NodeCount == 1 ? new WaitlistMix(realTime) : null;
        var options = new SlotEngineOptions
        {
            Waitlist = waitlist?.Policy ?? WaitlistPolicy.None,
            TimeProvider = clock,
            BookingHorizonDays = Math.Max(15, settings.DaysOpen),
            MaxOpenDaysPerProvider = Math.Max(64, settings.DaysOpen + 2),
            PatientKeyHasher = hasher,

            // Pre-size the engine's per-patient and per-day tables for the scenario, so that the
            // load measures claims, not the tables' growth: every citizen may claim, and about
            // 1.2 holds per booking spread over the open days.
            //
            // The directory for twice the citizens: sized for the citizens alone (2^21 places for
            // 1 M, "two thirds full"), the whole MHRS day fills it to 43 % (893,153 patients: 2.3 M
            // arrivals drawn from 1 M citizens), where a key's 32-place probe window is sometimes
            // full (linear probing: in a simulation of the table's insert rule, 1 whole day in 8;
            // the first spill from 48 % on in every one) and the table adds its next segment, eight
            // times larger: 2^24 places × 16 B = 268 MB allocated inside one claim, 158 B per
            // booking over the day. That is the whole day that showed 225 B per booking, 175 B of
            // it inside engine calls (docs/load-generator.md, "The generator's own cost"). At
            // 2^22 places the day fills it to 21 %; the price is 32 MB more at setup.
            ExpectedPatients = (int)Math.Min(100_000_000, settings.Citizens * 2L), // the option's limit
            ExpectedClaimsPerDay = (int)Math.Min(50_000_000, ExpectedClaims(settings) / Math.Max(1, settings.DaysOpen)),
            Audit = settings.RuleOn(EngineRules.Audit),
            ExpectedAuditRecords = settings.RuleOn(EngineRules.Audit) ? (int)Math.Min(100_000_000, ExpectedClaims(settings) * 9 / 4) : 0, // about 2.3 a booking (2.7 a booking planned)
            Actors = settings.RuleOn(EngineRules.CallLimit) ? ActorPolicy.Mhrs : ActorPolicy.None,
            MaxActiveAppointments = settings.RuleOn(EngineRules.ActiveCap) ? LifecycleMix.MhrsActiveCap : 0,
            Bars = settings.RuleOn(EngineRules.Bars) ? BarPolicy.Mhrs : BarPolicy.None,
            // Not across load processes: node 0's cross-process recount counts booked seats, and a Redis read model
            // cannot tell another process's unapproved booking from a hold (docs/load-generator.md).
            Approval = settings.RuleOn(EngineRules.Approval) && settings.NodeCount == 1 ? ApprovalScenario.PolicyFor(settings, start) : ApprovalPolicy.None,
        };
        RushScenario.Apply(options, settings, start);
        var (engines, error) = await Backends.CreateNodesAsync(settings, options, w => output.Line("warning: " + w), cancellationToken).ConfigureAwait(false);
        if (engines is null)
        {
            output.Error(error!);
            return null;
        }

        RedisRunProbe? probe = null;
        try
        {
            if (settings.Backend == BackendKind.Redis)
            {
                try
                {
                    probe = await RedisRunProbe.ConnectAsync(settings.RedisConnection!).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The run itself needs only the engines; without INFO the report has no server figures.
                    output.Line("warning: no INFO connection for the Redis report (" + e.Message + "); the redis figures are left out.");
                }
            }

            return await RunAsync(settings, output, engines, probe, options, clock, hasher, setup, waitlist, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (probe is not null)
            {
                await probe.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var engine in engines)
            {
                if (engine is IAsyncDisposable disposable)
                {
                    await disposable.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<RunResult> RunAsync(LoadSettings settings, ProgressOutput output, IReadOnlyList<ISlotEngine> engines, RedisRunProbe? probe, SlotEngineOptions options, ScenarioClock clock, PatientKeyHasher hasher, Stopwatch setup, WaitlistMix? waitlist, CancellationToken cancellationToken)
    {
        var steps = new List<(string Step, double Seconds)>();
        var step = Stopwatch.StartNew();
        var engine = engines[0];
        var map = NationalMap.Build(settings.Providers, settings.Seed);
        foreach (var node in engines)
        {
            map.Register(node.Directory);
        }

        waitlist?.ChooseHot(map);

        steps.Add(("country", step.Elapsed.TotalSeconds));
        output.Line($"Built the country: {settings.Providers:N0} providers, {map.ClinicFacility.Count:N0} clinics, {map.FacilityCity.Count:N0} facilities in 81 provinces; the largest city-and-branch search spans {map.LargestGroup:N0} providers ({step.Elapsed.TotalSeconds:0.0} s).");
        var today = DateOnly.FromDateTime(clock.Start.DateTime);
        var days = Enumerable.Range(1, settings.DaysOpen).Select(today.AddDays).ToArray();
        step.Restart();
        if (engine is InMemorySlotEngine prepared)
        {
            // Citizens take the earliest free slot, so nearly every claim lands on the first open
            // day (its seats are far from full): its tables are allocated for all of them now. At the
            // scenario's midnight that day leaves the booking window and the claims move to the
            // second (40-75 % of a run's claims): its tables too, or they grow by a 2^21-place
            // segment mid-load (a 77 MB allocation in one run).
            prepared.PrepareDay(days[0], settings.Template, (int)Math.Min(50_000_000, ExpectedClaims(settings)));
            if (days.Length > 1)
            {
                prepared.PrepareDay(days[1], settings.Template, (int)Math.Min(50_000_000, ExpectedClaims(settings)));
            }
        }

        RushScenario.Prepare(engine, settings, days[^1], ExpectedClaims(settings));

        if (settings.NodeId == 0)
        {
            await PublishAsync(engine, settings, days, output, cancellationToken).ConfigureAwait(false);
            steps.Add(("days opened", step.Elapsed.TotalSeconds));
            output.Line($"Opened {settings.DaysOpen} days × {settings.Template.SlotCount} slots for every provider: {settings.TotalSeats:N0} seats on {(long)settings.Providers * settings.DaysOpen:N0} calendars ({step.Elapsed.TotalSeconds:0.0} s).");
        }

        await NodeSetup.AfterPublishAsync(settings, engines, probe, days, steps, output, cancellationToken).ConfigureAwait(false);
        if (engine is InMemorySlotEngine memory)
        {
            step.Restart();
            var searches = WarmDayIndexes(memory, map, days);
            steps.Add(("day indexes", step.Elapsed.TotalSeconds));
            output.Line($"Indexed the open days: one search per city, branch and day ({searches:N0}) makes the engine build its (city, branch, day) availability index, which it otherwise builds on a day's first search ({step.Elapsed.TotalSeconds:0.0} s).");
        }

        step.Restart();
        var citizens = CitizenPool.Create(settings.Citizens, map, hasher, NodeSetup.CitizenSeed(settings));
        steps.Add(("citizens", step.Elapsed.TotalSeconds));
        output.Line($"Made {settings.Citizens:N0} citizens: valid national IDs turned into patient keys ({step.Elapsed.TotalSeconds:0.0} s).");

        var warm = await WarmUpAsync(settings, engines, map, citizens, clock, waitlist, steps, output, cancellationToken).ConfigureAwait(false);
        step.Restart();
        var control = new RunControl(settings, clock, new ScenarioTimeline(clock.Start, settings.RushShare, RushSpan, ScenarioSpan), cancellationToken, warm.Control);
        var workers = Enumerable.Range(0, settings.Concurrency)
            .Select(i => new CitizenWorker(i, engines[i % engines.Count], map, citizens, settings, control) { Waitlist = waitlist })
            .ToArray();
        if ((settings.BookingsTarget ?? ExpectedFromWarmup(settings, warm.Totals)) is { } target)
        {
            // The ledgers' chunks for the target now (about 1.15 entries a booking: walk-aways and moves too; 1.32 planned,
            // as the workers' shares differ a little), not 40 bytes a booking during the load; before the collection below,
            // as the workers, so that they start in the oldest generation and no collection during the load copies them.
            foreach (var worker in workers)
            {
                worker.Ledger.Reserve(target * 132 / 100 / workers.Length);
            }
        }

        var timeline = new TimelineSampler(workers.Select(w => w.Stats).ToArray(), control, settings, TimelineProbes.For(engine)) { OffersMade = waitlist is null ? null : () => waitlist.OffersMade };
        timeline.Prepare();

        CollectSetupGarbage();
        steps.Add(("collection", step.Elapsed.TotalSeconds));
        output.Line($"Collected setup's garbage ({step.Elapsed.TotalSeconds:0.0} s). The days open now: load starts.");
        setup.Stop();

        var costBefore = LoadCost.Read();
        var hopsBefore = ThreadHops.Read();
        var latencyMode = GCSettings.LatencyMode;
        if (settings.SustainedLowLatency)
        {
            // No blocking full collections during the load (background ones still run).
            GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        }

        if (probe is not null)
        {
            await probe.BeginAsync().ConfigureAwait(false);
        }

        control.Begin();
        timeline.Begin();
        var load = Task.WhenAll(workers.Select(w => Task.Run(w.RunAsync, CancellationToken.None)));
        var stopped = load.ContinueWith(_ => Stopwatch.GetTimestamp(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var sweeper = waitlist is null || !ScenarioSweeper.Affordable(settings) ? null : new ScenarioSweeper(engine, clock, waitlist.Lapsed);
        var sweeping = sweeper is null ? Task.CompletedTask : Task.Run(() => sweeper.RunAsync(load), CancellationToken.None);
        var sampling = timeline.RunAsync(load);
        var sampler = new LiveSampler(workers, control, settings, timeline);
        await output.ShowProgressAsync(sampler, load).ConfigureAwait(false);
        await load.ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        await sweeping.ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(control.StartTimestamp, await stopped.ConfigureAwait(false));
        CitizenWorker[] everyone = [.. warm.Workers, .. workers]; // the recount and the checks see the warm-up's bookings too
        var gc = LoadCost.Read().Since(costBefore);
        var hops = ThreadHops.Read().Since(hopsBefore);
        GCSettings.LatencyMode = latencyMode;
        if (probe is not null)
        {
            await probe.EndAsync().ConfigureAwait(false);
        }

        waitlist?.Finish(workers[0].Ledger); // offers nobody answered lapse

        output.Line("Recounting the engine against the generator's ledger…");
        var check = Stopwatch.StartNew();
        var endToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), options.TimeZone).DateTime);
        var windowFrom = endToday.AddDays(options.EarliestBookableDayOffset);
        var windowTo = days[^1] < endToday.AddDays(options.BookingHorizonDays) ? days[^1] : endToday.AddDays(options.BookingHorizonDays);
        var recountNow = clock.RealTime && probe is not null ? await ApprovalCheck.EarliestTimeAsync(probe.Server).ConfigureAwait(false) : clock.GetUtcNow();
        var invariants = await InvariantChecker.CheckAsync(
            engine,
            ApprovalScenario.WithoutLapsed(everyone.SelectMany(w => w.Ledger.Entries), recountNow),
            options.Quotas,
            windowFrom <= windowTo && settings.NodeCount == 1 ? (windowFrom, windowTo) : null,
            CancellationToken.None,
            othersBook: settings.NodeCount > 1).ConfigureAwait(false);
        await NodeSetup.CrossCheckAsync(settings, engine, probe, invariants, settings.Providers, days, output).ConfigureAwait(false);
        var lifecycle = settings.Rules
            ? await LifecycleCheck.RunAsync(engine, everyone.Select(w => w.Lifecycle!).ToArray(), everyone.SelectMany(w => w.Ledger.Entries).ToArray(), options, CancellationToken.None).ConfigureAwait(false)
            : settings.LifecycleMix ? LifecycleCheck.MixOnly(everyone.Select(w => w.Lifecycle!).ToArray()) : LifecycleTotals.Off;
        var waitlistTotals = waitlist is null ? WaitlistTotals.Off : (await waitlist.TotalsAsync(engine).ConfigureAwait(false)) with { Sweeper = sweeper?.Totals() };
        var scenarioEnd = clock.GetUtcNow(); // before the approval check moves the clock past the deadlines
        lifecycle = await ApprovalCheck.ApplyAsync(engine, clock, everyone.SelectMany(w => w.Ledger.Entries).ToArray(), lifecycle, CancellationToken.None, probe is null ? null : () => ApprovalCheck.EarliestTimeAsync(probe.Server)).ConfigureAwait(false);
        check.Stop();
        var stats = WorkerStats.Merge(workers.Select(w => w.Stats), timeline.Totals);
        var redis = probe?.Result(
            stats.Bookings,
            engines.Count,
            (settings.NodeId, settings.NodeCount),
            workers.SelectMany(w => w.Ledger.Entries).Where(e => e.State == LedgerState.Booked).Select(e => e.Reservation.Calendar));

        var rush = RushTotals.Of(everyone.Select(w => w.Rush));
        return new RunResult
        {
            Stalled = control.Stalled ? StallReason(settings, stats, rush, lifecycle) : null,
            Settings = settings,
            Stats = stats,
            Timeline = timeline.Points,
            Redis = redis,
            Generator = GeneratorCost.Of(workers, stats.Bookings, stats.Bookings == 0 ? 0 : gc.Cpu.TotalMicroseconds / stats.Bookings, timeline.Cpu) with { BytesSplitHolds = settings.Backend == BackendKind.Memory },
            Invariants = invariants,
            Lifecycle = lifecycle,
            Waitlist = waitlistTotals,
            Rush = rush,
            Reschedule = await RescheduleCheck.RunAsync(engine, [.. everyone.Select(w => w.Reschedules)], CancellationToken.None).ConfigureAwait(false),
            SetupSeconds = setup.Elapsed.TotalSeconds,
            ElapsedSeconds = elapsed.TotalSeconds,
            CheckSeconds = check.Elapsed.TotalSeconds,
            ScenarioTime = (clock.Start, scenarioEnd),
            CancelsPending = everyone.Sum(w => (long)w.CancelsPending),
            Scale = (map.FacilityCity.Count, map.ClinicFacility.Count, citizens.Count),
            LargestGroup = map.LargestGroup,
            Gc = gc,
            Hops = hops,
            SetupSteps = steps,
            Warmup = warm.Totals,
            Interrupted = cancellationToken.IsCancellationRequested,
        };
    }

    /// <summary>
    /// Books with workers of its own before the measured load until the JIT is quiet (<see cref="LoadSettings.Warmup"/>):
    /// no method compiled for <see cref="LoadSettings.WarmupQuietFor"/>, after at least <see cref="LoadSettings.WarmupAtLeast"/>,
    /// at most the setting. The tiered compiler recompiles a hot method twice (instrumented, then tier 1) in the seconds
    /// after its first calls; an API node pays that once at start, a 20-second window would charge it to its bookings.
    /// The workers draw from the same citizens with random streams of their own (numbers after the measured workers'). It
    /// also ends at <see cref="WarmupCap(LoadSettings)"/> bookings.
    /// </summary>
    /// <summary>
    /// The most bookings a warm-up makes: one seat in 50 and one booking per 10 citizens, so that it neither fills the
    /// country nor uses up the citizens' quotas before the measured load (the scenario clock does not move during it, so
    /// no quota day ends). An in-memory warm-up reaches it in a fraction of a second; a Redis one seldom does.
    /// </summary>
    /// <param name="settings">The run's settings.</param>
    /// <returns>The cap.</returns>
    internal static long WarmupCap(LoadSettings settings) => Math.Max(1, Math.Min(settings.TotalSeats / 50, settings.Citizens / 10));

    private static async Task<(CitizenWorker[] Workers, RunControl? Control, (double Seconds, long Bookings, long Cancelled, long JitMethods) Totals)> WarmUpAsync(LoadSettings settings, IReadOnlyList<ISlotEngine> engines, NationalMap map, CitizenPool citizens, ScenarioClock clock, WaitlistMix? waitlist, List<(string Step, double Seconds)> steps, ProgressOutput output, CancellationToken cancellationToken)
    {
        if (settings.Warmup <= TimeSpan.Zero)
        {
            return ([], null, default);
        }

        var step = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The scenario clock stays where it is (no target, no duration: progress 0).
        var control = new RunControl(settings with { Duration = null, BookingsTarget = null }, clock, new ScenarioTimeline(clock.Start, settings.RushShare, RushSpan, ScenarioSpan), stop.Token, stopAt: WarmupCap(settings));
        var workers = Enumerable.Range(0, settings.Concurrency)
            .Select(i => new CitizenWorker(settings.Concurrency + i, engines[i % engines.Count], map, citizens, settings, control) { Waitlist = waitlist })
            .ToArray();
        var methodsBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        control.Begin();
        var load = Task.WhenAll(workers.Select(w => Task.Run(w.RunAsync, CancellationToken.None)));
        var methods = methodsBefore;
        var quietSince = TimeSpan.Zero;
        while (!load.IsCompleted && !cancellationToken.IsCancellationRequested && step.Elapsed < settings.Warmup)
        {
            await Task.WhenAny(load, Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None)).ConfigureAwait(false);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != methods)
            {
                methods = now;
                quietSince = step.Elapsed;
            }
            else if (step.Elapsed >= LoadSettings.WarmupAtLeast && step.Elapsed - quietSince >= LoadSettings.WarmupQuietFor)
            {
                break;
            }
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await load.ConfigureAwait(false);
        var bookings = workers.Sum(w => w.Stats.Bookings);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - methodsBefore;
        var took = step.Elapsed; // one reading for the setup step, the line and the totals
        steps.Add(("warmup", took.TotalSeconds));
        output.Line($"Warmed up: {bookings:N0} bookings by {workers.Length} workers of its own, {compiled:N0} methods compiled, the last {(took - quietSince).TotalSeconds:0.0} s before the end ({took.TotalSeconds:0.0} s; recounted with the load, not in its per-booking figures).");
        return (workers, control, (took.TotalSeconds, bookings, workers.Sum(w => w.Stats.Cancelled), compiled));
    }

    /// <summary>
    /// The bookings a run with a duration and no target is expected to make, from its warm-up's rate: twice that rate (the
    /// measured load runs 1.1 to 1.7 times faster than the warm-up, which compiles as it goes) over the duration, so that
    /// the ledgers are reserved before the load as for a target (their chunks were the largest part of what a Redis run
    /// kept per booking in its window: 36 of 61 bytes at 20,000 providers, see docs/redis-scale.md). Null without a
    /// warm-up, a duration, or warm-up bookings.
    /// </summary>
    internal static long? ExpectedFromWarmup(LoadSettings settings, (double Seconds, long Bookings, long Cancelled, long JitMethods) warmup) =>
        settings.Duration is { } duration && warmup.Bookings > 0 && warmup.Seconds > 0
            ? (long)Math.Min(LoadSettings.MhrsDay * 4.0, 2 * warmup.Bookings / warmup.Seconds * duration.TotalSeconds)
            : null;

    /// <summary>Why a run stalled (<see cref="RunControl.Stalled"/>): its refusals, and what to change.</summary>
    internal static string StallReason(LoadSettings settings, WorkerStats stats, RushTotals rush, LifecycleTotals lifecycle) =>
        $"no booking in the last {RunControl.StallArrivals:N0} arrivals of each of the {settings.Concurrency} workers" +
        (settings.Backend == BackendKind.Memory ? "" : $" (nor in the last {RunControl.RealTimeStall.TotalMinutes:0} minutes)") +
        $", at {stats.Bookings:N0} of {settings.BookingsTarget:N0} bookings. " +
        (settings.Backend == BackendKind.Memory
            ? "Without --duration the scenario clock moves only with the bookings, so what only time lifts never lifts: "
            : "What refused the claims: ") +
        $"{rush.RefusedRate:N0} claims refused by the admission rate (5 a minute per citizen), {lifecycle.RefusedActiveCap:N0} by the active cap (and {lifecycle.ToldAtCap:N0} citizens told at the cap before their search), " +
        $"{stats.Failures(Operation.Hold, FailureReason.QuotaExceeded):N0} by the quotas, {stats.Failures(Operation.Search, FailureReason.NoFreeSlot):N0} searches found no free slot. " +
        $"Give more --citizens (there were {settings.Citizens:N0}), fewer --bookings, or a --duration.";

    /// <summary>
    /// Collects setup's garbage (the builders, the publishing) and moves every survivor (the calendars, the read model, the
    /// warm-up's bookings, the reserved ledgers) into the oldest generation, so that the load does not pay for setup.
    /// </summary>
    /// <remarks>
    /// Twice: a full collection promotes by one generation, so one alone leaves what was young at its end in gen1 (on Redis
    /// at 20,000 providers 19-77 MB: the warm-up's and the last setup steps' survivors), and the load's first gen1 collection
    /// had to promote it all into gen2, past gen2's budget: one full blocking collection in the window (docs/redis-scale.md,
    /// "gen2 in the window at 20,000 providers"). The second collection moves it into gen2 before the load.
    /// </remarks>
    internal static void CollectSetupGarbage()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Holds and books the run expects: about 1.2 per booking of the target (walk-aways and retries).</summary>
    private static long ExpectedClaims(LoadSettings settings) => (settings.BookingsTarget ?? LoadSettings.MhrsDay) * 6 / 5;

    /// <summary>One search per city, branch and open day, on both cores; returns how many.</summary>
    private static int WarmDayIndexes(InMemorySlotEngine engine, NationalMap map, DateOnly[] days)
    {
        var searches = 0;
        Parallel.For(0, map.BranchDemand.Length, () => 0, (cityIndex, _, count) =>
        {
            Span<FreeStart> first = stackalloc FreeStart[1];
            foreach (var branch in map.BranchDemand[cityIndex].Branches)
            {
                foreach (var day in days)
                {
                    engine.FindEarliest(EarliestQuery.ForCityBranch(new CityCode(cityIndex + 1), new BranchId(branch), day, day), first);
                    count++;
                }
            }

            return count;
        },
        count => Interlocked.Add(ref searches, count));
        return searches;
    }

    private static async Task PublishAsync(ISlotEngine engine, LoadSettings settings, DateOnly[] days, ProgressOutput output, CancellationToken cancellationToken)
    {
        var template = settings.Template;
        if (engine is SlotEngine.Redis.RedisSlotEngine redis)
        {
            // A bulk operation on Redis: publish scripts pipelined in batches, each day laid into the read model
            // from its template (no read back), with a progress line every tenth.
            var total = (long)settings.Providers * days.Length;
            var step = Math.Max(1, total / 10);
            var next = step;
            var progress = new InlineProgress(done =>
            {
                if (done >= next || done == total)
                {
                    next = done + step;
                    output.Line($"  opened {done:N0} of {total:N0} days");
                }
            });
            await redis.PublishManyAsync(
                Enumerable.Range(0, settings.Providers).SelectMany(p => days.Select(day => (new ProviderId(p), day, template))),
                progress,
                batchSize: 4096,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return;
        }

        var parallel = new ParallelOptions
        {
            MaxDegreeOfParallelism = settings.Backend == BackendKind.Memory ? Environment.ProcessorCount : Math.Max(8, settings.Concurrency),
            CancellationToken = cancellationToken,
        };
        const int Chunk = 1024;
        var chunks = (settings.Providers + Chunk - 1) / Chunk;
        await Parallel.ForAsync(0, chunks, parallel, async (chunk, ct) =>
        {
            var end = Math.Min(settings.Providers, (chunk + 1) * Chunk);
            for (var p = chunk * Chunk; p < end; p++)
            {
                foreach (var day in days)
                {
                    await engine.PublishAsync(new ProviderId(p), day, template, ct).ConfigureAwait(false);
                }
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Reports on the reporting thread, in order (<see cref="Progress{T}"/> would post each report to the thread pool).</summary>
    private sealed class InlineProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
