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
        var options = new SlotEngineOptions
        {
            TimeProvider = clock,
            BookingHorizonDays = Math.Max(15, settings.DaysOpen),
            MaxOpenDaysPerProvider = Math.Max(64, settings.DaysOpen + 2),
            PatientKeyHasher = hasher,
        };
        var (engine, error) = await Backends.CreateAsync(settings, options, w => output.Line("warning: " + w), cancellationToken).ConfigureAwait(false);
        if (engine is null)
        {
            output.Error(error!);
            return null;
        }

        try
        {
            return await RunAsync(settings, output, engine, options, clock, hasher, setup, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (engine is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<RunResult> RunAsync(LoadSettings settings, ProgressOutput output, ISlotEngine engine, SlotEngineOptions options, ScenarioClock clock, PatientKeyHasher hasher, Stopwatch setup, CancellationToken cancellationToken)
    {
        var steps = new List<(string Step, double Seconds)>();
        var step = Stopwatch.StartNew();
        var map = NationalMap.Build(settings.Providers, settings.Seed);
        map.Register(engine.Directory);
        steps.Add(("country", step.Elapsed.TotalSeconds));
        output.Line($"Built the country: {settings.Providers:N0} providers, {map.ClinicFacility.Count:N0} clinics, {map.FacilityCity.Count:N0} facilities in 81 provinces; the largest city-and-branch search spans {map.LargestGroup:N0} providers ({step.Elapsed.TotalSeconds:0.0} s).");
        var today = DateOnly.FromDateTime(clock.Start.DateTime);
        var days = Enumerable.Range(1, settings.DaysOpen).Select(today.AddDays).ToArray();
        step.Restart();
        await PublishAsync(engine, settings, days, output, cancellationToken).ConfigureAwait(false);
        steps.Add(("days opened", step.Elapsed.TotalSeconds));
        output.Line($"Opened {settings.DaysOpen} days × {settings.Template.SlotCount} slots for every provider: {settings.TotalSeats:N0} seats on {(long)settings.Providers * settings.DaysOpen:N0} calendars ({step.Elapsed.TotalSeconds:0.0} s).");
        if (engine is InMemorySlotEngine memory)
        {
            step.Restart();
            var searches = WarmDayIndexes(memory, map, days);
            steps.Add(("day indexes", step.Elapsed.TotalSeconds));
            output.Line($"Indexed the open days: one search per city, branch and day ({searches:N0}) makes the engine build its (city, branch, day) availability index, which it otherwise builds on a day's first search ({step.Elapsed.TotalSeconds:0.0} s).");
        }

        step.Restart();
        var citizens = CitizenPool.Create(settings.Citizens, map, hasher, settings.Seed);
        steps.Add(("citizens", step.Elapsed.TotalSeconds));
        output.Line($"Made {settings.Citizens:N0} citizens: valid national IDs turned into patient keys ({step.Elapsed.TotalSeconds:0.0} s).");

        // Setup's garbage (the builders, the publishing) is collected now, and the survivors (the
        // calendars) compacted into the oldest generation, so the load does not pay for setup.
        step.Restart();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        steps.Add(("collection", step.Elapsed.TotalSeconds));
        output.Line($"Collected setup's garbage ({step.Elapsed.TotalSeconds:0.0} s). The days open now: load starts.");
        setup.Stop();

        var control = new RunControl(settings, clock, new ScenarioTimeline(clock.Start, settings.RushShare, RushSpan, ScenarioSpan), cancellationToken);
        var workers = Enumerable.Range(0, settings.Concurrency)
            .Select(i => new CitizenWorker(i, engine, map, citizens, settings, control))
            .ToArray();
        var costBefore = LoadCost.Read();
        var latencyMode = GCSettings.LatencyMode;
        if (settings.SustainedLowLatency)
        {
            // No blocking full collections during the load (background ones still run).
            GCSettings.LatencyMode = GCLatencyMode.SustainedLowLatency;
        }

        var timeline = new TimelineSampler(workers.Select(w => w.Stats).ToArray(), control, settings, TimelineProbes.For(engine));
        timeline.Prepare();
        control.Begin();
        timeline.Begin();
        var load = Task.WhenAll(workers.Select(w => Task.Run(w.RunAsync, CancellationToken.None)));
        var stopped = load.ContinueWith(_ => Stopwatch.GetTimestamp(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var sampling = timeline.RunAsync(load);
        var sampler = new LiveSampler(workers, control, settings, timeline);
        await output.ShowProgressAsync(sampler, load).ConfigureAwait(false);
        await load.ConfigureAwait(false);
        await sampling.ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(control.StartTimestamp, await stopped.ConfigureAwait(false));
        var gc = LoadCost.Read().Since(costBefore);
        GCSettings.LatencyMode = latencyMode;

        output.Line("Recounting the engine against the generator's ledger…");
        var check = Stopwatch.StartNew();
        var endToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), options.TimeZone).DateTime);
        var windowFrom = endToday.AddDays(options.EarliestBookableDayOffset);
        var windowTo = days[^1] < endToday.AddDays(options.BookingHorizonDays) ? days[^1] : endToday.AddDays(options.BookingHorizonDays);
        var invariants = await InvariantChecker.CheckAsync(
            engine,
            workers.SelectMany(w => w.Ledger.Entries),
            options.Quotas,
            windowFrom <= windowTo ? (windowFrom, windowTo) : null,
            CancellationToken.None).ConfigureAwait(false);
        check.Stop();

        return new RunResult
        {
            Settings = settings,
            Stats = WorkerStats.Merge(workers.Select(w => w.Stats), timeline.Totals),
            Timeline = timeline.Points,
            Invariants = invariants,
            SetupSeconds = setup.Elapsed.TotalSeconds,
            ElapsedSeconds = elapsed.TotalSeconds,
            CheckSeconds = check.Elapsed.TotalSeconds,
            ScenarioTime = (clock.Start, clock.GetUtcNow()),
            CancelsPending = workers.Sum(w => (long)w.CancelsPending),
            Scale = (map.FacilityCity.Count, map.ClinicFacility.Count, citizens.Count),
            LargestGroup = map.LargestGroup,
            Gc = gc,
            SetupSteps = steps,
            Interrupted = cancellationToken.IsCancellationRequested,
        };
    }

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
