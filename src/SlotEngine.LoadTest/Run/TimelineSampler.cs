using System.Diagnostics;
using HdrHistogram;
using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// Cuts the load into intervals and records each as a <see cref="TimelinePoint"/>: the only reader
/// of the workers' latency recorders. At each look it takes every worker's interval histogram per
/// operation (an <see cref="IntervalRecorder"/>: the counts' growth since the previous look,
/// without stopping the writer), adds them into the interval's histogram and into the run's totals, and reads the
/// workers' single-writer counters, the collector and the process CPU, subtracting the previous
/// look. Runs on its own thread (the workers may keep every pool thread busy), so intervals are
/// close to their planned length; each point records its measured length anyway.
/// </summary>
/// <remarks>
/// <para><b>Interval.</b> One second for runs of 100 s or more; shorter runs are cut finer, about a
/// hundredth of their expected length (0.05, 0.1, 0.2, 0.25 or 0.5 s), so a 10-second run has 100
/// points and a 1-second smoke run 20. The expected length is the duration limit, or what the progress so
/// far implies (elapsed over progress) when the run stops at a bookings target; it is re-judged at
/// each look, so the early points of a run with an unknown length are the fine ones.</para>
/// <para><b>Threads.</b> One thread samples; <see cref="Latest"/> and <see cref="Points"/> may be
/// read from any thread (under a lock).</para>
/// </remarks>
internal sealed class TimelineSampler
{
    /// <summary>The interval lengths used, in seconds, shortest first.</summary>
    public static readonly double[] Steps = [0.05, 0.1, 0.2, 0.25, 0.5, 1.0];

    private readonly IReadOnlyList<WorkerStats> _workers;
    private readonly RunControl _control;
    private readonly LoadSettings _settings;
    private readonly IReadOnlyList<ITimelineProbe> _probes;
    private readonly HistogramBase?[,] _recycled;
    private LatencyHistogram[] _interval = new LatencyHistogram[OperationNames.Count];
    private LatencyHistogram[] _previousInterval = new LatencyHistogram[OperationNames.Count];
    private readonly List<TimelinePoint> _points = [];
    private readonly long[] _failures = new long[OperationNames.ReasonCount];
    private readonly long[] _previousFailures = new long[OperationNames.ReasonCount];
    private long _previousTimestamp;
    private long _previousBookings;
    private long _previousOffers;
    private (int Gen0, int Gen1, int Gen2) _previousCollections;
    private TimeSpan _previousPause;
    private long _previousAllocated;
    private TimeSpan _previousCpu;
    private double _previousProgress;
    private long _sampleTicks;

    /// <summary>Creates the sampler of a run (call <see cref="Begin"/> when the load starts).</summary>
    /// <param name="workers">Every worker's stats.</param>
    /// <param name="control">The run's control (start, progress, scenario clock).</param>
    /// <param name="settings">The run's settings.</param>
    /// <param name="probes">Further series (the backend's), possibly none.</param>
    public TimelineSampler(IReadOnlyList<WorkerStats> workers, RunControl control, LoadSettings settings, IReadOnlyList<ITimelineProbe> probes)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(control);
        _workers = workers;
        _control = control;
        _settings = settings;
        _probes = probes;
        _recycled = new HistogramBase?[workers.Count, OperationNames.Count];
        for (var i = 0; i < OperationNames.Count; i++)
        {
            _interval[i] = new LatencyHistogram();
            _previousInterval[i] = new LatencyHistogram();
            Totals[i] = new LatencyHistogram();
        }
    }

    /// <summary>Reads the waitlist's offers made so far (a counter sampled like the bookings), or null without the waitlist.</summary>
    public Func<long>? OffersMade { get; init; }

    /// <summary>The whole run's latency per operation (complete once <see cref="RunAsync"/> ended).</summary>
    public LatencyHistogram[] Totals { get; } = new LatencyHistogram[OperationNames.Count];

    /// <summary>
    /// CPU time the sampler's own thread used (its looks: taking and adding up the histograms, the
    /// probes' reads), complete once <see cref="RunAsync"/> ended. The generator's, not the engine's:
    /// the report adds it to the generator's part of the process CPU. On Linux the thread's CPU clock;
    /// elsewhere the wall time of its looks (an upper bound).
    /// </summary>
    public TimeSpan Cpu { get; private set; }

    /// <summary>The points so far (a copy).</summary>
    public IReadOnlyList<TimelinePoint> Points
    {
        get
        {
            lock (_points)
            {
                return [.. _points];
            }
        }
    }

    /// <summary>The last point, or <see langword="null"/> before the first.</summary>
    public TimelinePoint? Latest
    {
        get
        {
            lock (_points)
            {
                return _points.Count == 0 ? null : _points[^1];
            }
        }
    }

    /// <summary>The interval to use next: about a hundredth of the expected run, one of <see cref="Steps"/>.</summary>
    /// <param name="elapsedSeconds">Seconds of load so far.</param>
    /// <param name="progress">The run's progress, 0 to 1.</param>
    /// <param name="duration">The duration limit, if any.</param>
    /// <returns>Seconds.</returns>
    public static double ChooseInterval(double elapsedSeconds, double progress, TimeSpan? duration)
    {
        var expected = duration?.TotalSeconds ?? double.PositiveInfinity;
        if (progress >= 0.01 && elapsedSeconds >= 0.05)
        {
            expected = Math.Min(expected, elapsedSeconds / progress);
        }

        if (double.IsPositiveInfinity(expected))
        {
            return Steps[0];
        }

        // A tenth of slack: progress read a moment after the elapsed time makes a 10-second run
        // look like a 9.99-second one, which should still get 0.1 s.
        var wanted = expected / 100 * 1.1;
        var chosen = Steps[0];
        foreach (var step in Steps)
        {
            if (step <= wanted)
            {
                chosen = step;
            }
        }

        return chosen;
    }

    /// <summary>
    /// Prepares before the load: takes (empty) intervals once, so the code that takes and adds them
    /// up is compiled before the first real look and the first interval's recorders are swapped
    /// together, not one JIT compile apart.
    /// </summary>
    public void Prepare()
    {
        for (var op = 0; op < OperationNames.Count; op++)
        {
            for (var w = 0; w < _workers.Count; w++)
            {
                _recycled[w, op] = _workers[w].Recorders[op].GetIntervalHistogram(_recycled[w, op]);
                _interval[op].Add(_recycled[w, op]!);
            }

            _ = _interval[op].ValueAtPercentile(99) + _interval[op].Max;
            _interval[op].Reset();
        }
    }

    /// <summary>Takes the starting readings; call right after the load starts.</summary>
    public void Begin()
    {
        _previousTimestamp = _control.StartTimestamp;
        _previousCollections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        _previousPause = GC.GetTotalPauseDuration();
        _previousAllocated = GC.GetTotalAllocatedBytes(precise: false);
        _previousCpu = Environment.CpuUsage.TotalTime;
        _previousProgress = 0;
        foreach (var probe in _probes)
        {
            probe.Begin();
        }
    }

    /// <summary>Samples on a thread of its own until the load completes, then takes the last interval.</summary>
    /// <param name="load">Completes when every worker has stopped.</param>
    /// <returns>A task that completes after the last point.</returns>
    public Task RunAsync(Task load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var cpuAtStart = ThreadCpuClock.Now();
            try
            {
                var next = _control.StartTimestamp;
                while (!load.IsCompleted)
                {
                    var elapsed = Stopwatch.GetElapsedTime(_control.StartTimestamp).TotalSeconds;
                    var interval = ChooseInterval(elapsed, _control.Progress(0), _settings.Duration);
                    next = Math.Max(next + (long)(interval * Stopwatch.Frequency), _previousTimestamp + (long)(Steps[0] * Stopwatch.Frequency));
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                    if (wait > TimeSpan.Zero)
                    {
                        // Wakes early when the load ends; the last interval is then taken below.
                        ((IAsyncResult)load).AsyncWaitHandle.WaitOne(wait);
                    }

                    if (!load.IsCompleted)
                    {
                        TimedSample(last: false);
                    }
                }

                TimedSample(last: true);

                // Before the result: the run's report is written after it, and must not race a probe still listening.
                EndProbes();
                TakeCpu(cpuAtStart);
                done.SetResult();
            }
            catch (Exception e)
            {
                EndProbes();
                TakeCpu(cpuAtStart);
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "timeline sampler",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Ends the current interval and records it as a point.</summary>
    /// <param name="last">
    /// The load has ended: a last interval shorter than half the one before (the few milliseconds
    /// between the last look and the end) is folded into that one, so the timeline does not end on
    /// a sliver whose rates mean little.
    /// </param>
    public void Sample(bool last = false)
    {
        var now = Stopwatch.GetTimestamp();
        var seconds = Stopwatch.GetElapsedTime(_previousTimestamp, now).TotalSeconds;
        TimelinePoint? folded = null;
        lock (_points)
        {
            if (last && _points.Count > 0 && seconds < _points[^1].Seconds / 2)
            {
                folded = _points[^1];
                _points.RemoveAt(_points.Count - 1);
            }
        }

        // First take every recorder's interval and the counters, close together, so that all of
        // them end at (nearly) the same moment; the adding up and percentiles come after.
        for (var op = 0; op < OperationNames.Count; op++)
        {
            for (var w = 0; w < _workers.Count; w++)
            {
                _recycled[w, op] = _workers[w].Recorders[op].GetIntervalHistogram(_recycled[w, op]);
            }
        }

        long bookings = 0;
        Array.Clear(_failures);
        foreach (var worker in _workers)
        {
            bookings += worker.Bookings;
            worker.FailuresByReason(_failures);
        }

        var offers = OffersMade?.Invoke() ?? 0;

        long operations = 0;
        var latency = new OperationInterval[OperationNames.Count];
        for (var op = 0; op < OperationNames.Count; op++)
        {
            var interval = _interval[op];
            interval.Reset();
            for (var w = 0; w < _workers.Count; w++)
            {
                interval.Add(_recycled[w, op]!);
            }

            Totals[op].Add(interval);
            if (folded is not null)
            {
                interval.Add(_previousInterval[op]);
            }

            latency[op] = new OperationInterval(
                interval.TotalCount,
                interval.ValueAtPercentile(50) / 1000.0,
                interval.ValueAtPercentile(99) / 1000.0,
                interval.Max / 1000.0);
            if (op != (int)Operation.Booking)
            {
                operations += interval.TotalCount;
            }
        }

        var failures = new long[OperationNames.ReasonCount];
        for (var r = 0; r < failures.Length; r++)
        {
            failures[r] = Math.Max(0, _failures[r] - _previousFailures[r]);
            _previousFailures[r] = _failures[r];
        }

        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var pause = GC.GetTotalPauseDuration();
        var allocated = GC.GetTotalAllocatedBytes(precise: false);
        var cpu = Environment.CpuUsage.TotalTime;
        var scenarioTicks = _control.Clock.UtcTicks;
        var progress = Math.Clamp(_control.Progress(0), 0, 1);
        var extras = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        foreach (var probe in _probes)
        {
            var values = new Dictionary<string, double>();
            try
            {
                probe.Sample(seconds, values);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A probe that cannot read (e.g. Redis INFO refused) leaves its series out of this
                // interval; it must not stop the sampler and with it the run's report.
                values.Clear();
            }

            if (values.Count > 0)
            {
                extras[probe.Group] = values;
            }
        }

        // CollectionCount(0) counts every collection, CollectionCount(1) gen1 and gen2: peel them apart.
        var gen2 = collections.Item3 - _previousCollections.Gen2;
        var gen1 = collections.Item2 - _previousCollections.Gen1 - gen2;
        var gen0 = collections.Item1 - _previousCollections.Gen0 - gen1 - gen2;
        var point = new TimelinePoint
        {
            StartSeconds = Stopwatch.GetElapsedTime(_control.StartTimestamp, _previousTimestamp).TotalSeconds,
            Seconds = seconds,
            Bookings = bookings - _previousBookings,
            Offers = offers - _previousOffers,
            Operations = operations,
            Latency = latency,
            Failures = failures,
            Collections = (Math.Max(0, gen0), Math.Max(0, gen1), Math.Max(0, gen2)),
            GcPauseMillis = (pause - _previousPause).TotalMilliseconds,
            AllocatedBytes = Math.Max(0, allocated - _previousAllocated),
            CpuMillis = (cpu - _previousCpu).TotalMilliseconds,
            Progress = progress,
            ScenarioTime = new DateTimeOffset(scenarioTicks, TimeSpan.Zero).ToOffset(_control.Timeline.Start.Offset),
            Rush = _previousProgress < _settings.RushShare,
            Extras = extras,
        };
        if (folded is not null)
        {
            // Latency (and so the operation count) already holds both intervals; add the rest.
            for (var r = 0; r < failures.Length; r++)
            {
                failures[r] += folded.Failures[r];
            }

            point = point with
            {
                StartSeconds = folded.StartSeconds,
                Seconds = folded.Seconds + point.Seconds,
                Bookings = folded.Bookings + point.Bookings,
                Offers = folded.Offers + point.Offers,
                Collections = (folded.Collections.Gen0 + point.Collections.Gen0, folded.Collections.Gen1 + point.Collections.Gen1, folded.Collections.Gen2 + point.Collections.Gen2),
                GcPauseMillis = folded.GcPauseMillis + point.GcPauseMillis,
                AllocatedBytes = folded.AllocatedBytes + point.AllocatedBytes,
                CpuMillis = folded.CpuMillis + point.CpuMillis,
                Rush = folded.Rush,
                Extras = FoldExtras(folded, point),
            };
        }

        (_interval, _previousInterval) = (_previousInterval, _interval);
        _previousTimestamp = now;
        _previousBookings = bookings;
        _previousOffers = offers;
        _previousCollections = (collections.Item1, collections.Item2, collections.Item3);
        _previousPause = pause;
        _previousAllocated = allocated;
        _previousCpu = cpu;
        _previousProgress = progress;
        lock (_points)
        {
            _points.Add(point);
        }
    }

    /// <summary>
    /// A probe's values of a folded interval: a rate (<c>*_per_second</c>) is the two parts' rates
    /// weighted by their lengths, which is the whole's rate; any other value is a quantile or a
    /// maximum of its part (e.g. <c>staleness_p99_ms</c>), and the larger of the two is the whole's
    /// maximum and an upper bound of its quantile (the union has at least as large a share at or
    /// below it). A value only one part has is kept as it is.
    /// </summary>
    private static Dictionary<string, IReadOnlyDictionary<string, double>> FoldExtras(TimelinePoint earlier, TimelinePoint sliver)
    {
        var folded = new Dictionary<string, IReadOnlyDictionary<string, double>>(earlier.Extras);
        foreach (var (group, values) in sliver.Extras)
        {
            if (!folded.TryGetValue(group, out var before))
            {
                folded[group] = values;
                continue;
            }

            var merged = new Dictionary<string, double>(before);
            foreach (var (name, value) in values)
            {
                if (!merged.TryGetValue(name, out var first))
                {
                    merged[name] = value;
                }
                else if (name.EndsWith("_per_second", StringComparison.Ordinal))
                {
                    var seconds = earlier.Seconds + sliver.Seconds;
                    merged[name] = seconds > 0 ? ((first * earlier.Seconds) + (value * sliver.Seconds)) / seconds : 0;
                }
                else
                {
                    merged[name] = Math.Max(first, value);
                }
            }

            folded[group] = merged;
        }

        return folded;
    }

    private void EndProbes()
    {
        foreach (var probe in _probes)
        {
            try
            {
                probe.End();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // As in Sample: a probe's failure costs its series, never the run's report.
            }
        }
    }

    private void TimedSample(bool last)
    {
        var start = Stopwatch.GetTimestamp();
        Sample(last);
        _sampleTicks += Stopwatch.GetTimestamp() - start;
    }

    private void TakeCpu(TimeSpan cpuAtStart)
    {
        Cpu = ThreadCpuClock.IsThreadClock
            ? ThreadCpuClock.Now() - cpuAtStart
            : Stopwatch.GetElapsedTime(0, _sampleTicks);
    }
}
