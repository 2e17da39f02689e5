namespace SlotEngine.LoadTest.Reports;

/// <summary>Which way a figure improves.</summary>
internal enum Better
{
    /// <summary>More is better (throughput).</summary>
    Higher,

    /// <summary>Less is better (latency, cost, failures).</summary>
    Lower,
}

/// <summary>What a comparison concludes about one figure.</summary>
internal enum Verdict
{
    /// <summary>B differs from A by more than the runs' own noise, for the better.</summary>
    Better,

    /// <summary>B differs from A by more than the runs' own noise, for the worse.</summary>
    Worse,

    /// <summary>The difference is within the runs' own noise.</summary>
    WithinNoise,

    /// <summary>No per-interval spread to judge by (a whole-run count, a max, too few intervals).</summary>
    NotJudged,

    /// <summary>B found a double booking or broke an invariant (always marked).</summary>
    Broken,
}

/// <summary>One figure of two runs side by side.</summary>
/// <param name="Group">Table group (throughput, an operation, cost, failures, invariants, a probe group).</param>
/// <param name="Name">The figure.</param>
/// <param name="A">Run A's whole-run value.</param>
/// <param name="B">Run B's whole-run value.</param>
/// <param name="Unit">How to format it: "count", "rate", "us", "number".</param>
/// <param name="Verdict">The judgement.</param>
/// <param name="Why">How it was judged (z and intervals, or why not).</param>
internal sealed record ComparedFigure(string Group, string Name, double A, double B, string Unit, Verdict Verdict, string Why)
{
    /// <summary>B over A; <see langword="null"/> when A is 0 and B is not.</summary>
    public double? Ratio => A == 0 ? (B == 0 ? 1 : null) : B / A;
}

/// <summary>
/// Two runs side by side (<c>slotengine-load compare A.json B.json</c>): every figure with its
/// ratio B/A, and a judgement of whether the change is beyond the runs' own noise.
/// </summary>
/// <remarks>
/// <para><b>How noise is judged.</b> A run's timeline gives each figure once per interval
/// (bookings/s, an operation's p50 or p99, CPU µs and bytes per booking, failures of a reason per
/// second, a probe's series). For each run we take the mean <c>m</c> of the per-interval values
/// and its standard error <c>s/√n</c>; the change is beyond noise when
/// <c>|m_B − m_A| &gt; 3 · √(se_A² + se_B²)</c>, i.e. more than three combined standard errors
/// (z &gt; 3). Three, not two: neighbouring intervals are correlated (a GC pause spans
/// two), which makes <c>s/√n</c> an underestimate, and a table of ~40 figures judged at z &gt; 2
/// would flag about two of them by chance. Intervals shorter than half the median length are left
/// out, and a latency interval counts only with at least 20 operations in it. The ratio shown is
/// of the whole-run figures; the judgement uses the per-interval values.</para>
/// <para>Not judged (shown with their ratio): maxima and p99.9 (one extreme sample each; no
/// interval holds enough operations for a stable p99.9), counts over the whole run, setup time,
/// and any figure with fewer than 5 usable intervals in either run. A double booking or an
/// invariant violation in B is always marked.</para>
/// </remarks>
internal static class Comparison
{
    /// <summary>Combined standard errors a difference must exceed to be marked.</summary>
    public const double K = 3;

    /// <summary>Fewest intervals a run needs for a figure to be judged.</summary>
    public const int MinIntervals = 5;

    /// <summary>Fewest operations in an interval for its latency percentiles to count.</summary>
    public const long MinOperationsPerInterval = 20;

    /// <summary>Compares two runs.</summary>
    /// <param name="a">The baseline.</param>
    /// <param name="b">The candidate.</param>
    /// <returns>Every figure, grouped, in report order.</returns>
    public static IReadOnlyList<ComparedFigure> Compare(RunDocument a, RunDocument b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var rows = new List<ComparedFigure>();
        var ta = Usable(a.Timeline);
        var tb = Usable(b.Timeline);

        rows.Add(Judged("throughput", "bookings/s", a.BookingsPerSecond, b.BookingsPerSecond, "rate", Better.Higher, ta.Select(p => p.BookingsPerSecond), tb.Select(p => p.BookingsPerSecond)));
        rows.Add(Judged("throughput", "operations/s", OpsPerSecond(a), OpsPerSecond(b), "rate", Better.Higher, ta.Select(p => p.OperationsPerSecond), tb.Select(p => p.OperationsPerSecond)));
        rows.Add(NotJudged("throughput", "bookings", a.Bookings, b.Bookings, "count", "a whole-run count (the runs' limits decide it)"));

        foreach (var op in RunDocument.OperationOrder)
        {
            var oa = a.Operation(op);
            var ob = b.Operation(op);
            if (oa is null && ob is null)
            {
                continue;
            }

            IEnumerable<double> Series(IEnumerable<TimelineRecord> t, Func<(long Count, double P50, double P99, double Max), double> f) =>
                t.Where(p => p.Latency.TryGetValue(op, out var l) && l.Count >= MinOperationsPerInterval).Select(p => f(p.Latency[op]));

            rows.Add(Judged(op, "per second", oa?.PerSecond ?? 0, ob?.PerSecond ?? 0, "rate", Better.Higher, ta.Select(p => PerSecond(p, op)), tb.Select(p => PerSecond(p, op))));
            rows.Add(Judged(op, "p50", oa?.P50 ?? 0, ob?.P50 ?? 0, "us", Better.Lower, Series(ta, l => l.P50), Series(tb, l => l.P50)));
            rows.Add(Judged(op, "p99", oa?.P99 ?? 0, ob?.P99 ?? 0, "us", Better.Lower, Series(ta, l => l.P99), Series(tb, l => l.P99)));
            rows.Add(NotJudged(op, "p99.9", oa?.P999 ?? 0, ob?.P999 ?? 0, "us", "a deep tail: no interval holds enough operations for it"));
            rows.Add(NotJudged(op, "max", oa?.Max ?? 0, ob?.Max ?? 0, "us", "one sample"));
        }

        rows.Add(Judged("cost per booking", "CPU µs", a.Get("cpu_us_per_booking"), b.Get("cpu_us_per_booking"), "number", Better.Lower, PerBooking(ta, p => p.CpuMillis * 1000), PerBooking(tb, p => p.CpuMillis * 1000)));
        rows.Add(Judged("cost per booking", "bytes allocated", a.Get("gc", "allocated_bytes_per_booking"), b.Get("gc", "allocated_bytes_per_booking"), "count", Better.Lower, PerBooking(ta, p => p.AllocatedBytes), PerBooking(tb, p => p.AllocatedBytes)));
        rows.Add(Judged("cost per booking", "GC pause, share of the load", Share(a), Share(b), "percent", Better.Lower, ta.Select(p => p.GcPauseMillis / 1000 / p.Seconds), tb.Select(p => p.GcPauseMillis / 1000 / p.Seconds)));
        rows.Add(NotJudged("cost per booking", "gen2 collections", a.Get("gc", "gen2"), b.Get("gc", "gen2"), "count", "a whole-run count"));
        rows.Add(NotJudged("cost per booking", "setup seconds", a.Get("setup_seconds"), b.Get("setup_seconds"), "number", "one measurement"));
        foreach (var (name, path) in new[] { ("Redis round trips", "round_trips_per_booking"), ("Redis server CPU µs", "server_cpu_us_per_booking"), ("reloads", "reloads_per_booking") })
        {
            if (a.Has("redis", path) || b.Has("redis", path))
            {
                rows.Add(NotJudged("cost per booking", name, a.Get("redis", path), b.Get("redis", path), "number", "a whole-run figure"));
            }
        }

        var reasons = a.Operations.Concat(b.Operations).SelectMany(o => o.Failures.Select(f => f.Reason)).Distinct().OrderBy(r => r, StringComparer.Ordinal);
        foreach (var reason in reasons)
        {
            double Count(RunDocument r) => r.Operations.Sum(o => o.Failures.Where(f => f.Reason == reason).Sum(f => f.Count));
            double PerBookingRate(RunDocument r) => r.Bookings == 0 ? 0 : Count(r) * 1000 / r.Bookings;
            rows.Add(Judged("failures per 1,000 bookings", reason, PerBookingRate(a), PerBookingRate(b), "number", Better.Lower, PerBooking(ta, p => p.Failures.GetValueOrDefault(reason) * 1000.0), PerBooking(tb, p => p.Failures.GetValueOrDefault(reason) * 1000.0)));
        }

        foreach (var (name, va, vb) in new[] { ("double_bookings", a.DoubleBookings, b.DoubleBookings), ("invariant_violations", a.InvariantViolations, b.InvariantViolations) })
        {
            rows.Add(new ComparedFigure("invariants", name, va, vb, "count", vb != 0 ? Verdict.Broken : Verdict.NotJudged, vb != 0 ? "B broke an invariant" : "held in B"));
        }

        // Series a backend probe added (e.g. redis), judged when both runs have them.
        var groups = ta.SelectMany(p => p.Extras.Keys).Intersect(tb.SelectMany(p => p.Extras.Keys)).Distinct().OrderBy(g => g, StringComparer.Ordinal);
        foreach (var group in groups)
        {
            var names = ta.SelectMany(p => p.Extras.TryGetValue(group, out var v) ? v.Keys : []).Distinct().OrderBy(n => n, StringComparer.Ordinal);
            foreach (var name in names)
            {
                IEnumerable<double> Values(IEnumerable<TimelineRecord> t) => t.Select(p => p.Extras.TryGetValue(group, out var v) && v.TryGetValue(name, out var x) ? x : double.NaN).Where(double.IsFinite);
                var va = Values(ta).DefaultIfEmpty(0).Average();
                var vb = Values(tb).DefaultIfEmpty(0).Average();
                rows.Add(Judged(group + " (mean over intervals)", name, va, vb, "number", name.Contains("per_second", StringComparison.Ordinal) ? Better.Higher : Better.Lower, Values(ta), Values(tb)));
            }
        }

        return rows;
    }

    /// <summary>Mean, standard error and count of some values.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The statistics (standard error 0 for fewer than two).</returns>
    public static (double Mean, double StdErr, int N) Stats(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.Where(double.IsFinite).ToList();
        if (list.Count == 0)
        {
            return (0, 0, 0);
        }

        var mean = list.Average();
        if (list.Count < 2)
        {
            return (mean, 0, 1);
        }

        var variance = list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1);
        return (mean, Math.Sqrt(variance / list.Count), list.Count);
    }

    /// <summary>Judges a difference of per-interval values against the runs' noise.</summary>
    /// <param name="a">Run A's per-interval values.</param>
    /// <param name="b">Run B's per-interval values.</param>
    /// <param name="better">Which way is better.</param>
    /// <returns>The verdict and how it was reached.</returns>
    public static (Verdict Verdict, string Why) Judge(IEnumerable<double> a, IEnumerable<double> b, Better better)
    {
        var sa = Stats(a);
        var sb = Stats(b);
        if (sa.N < MinIntervals || sb.N < MinIntervals)
        {
            return (Verdict.NotJudged, $"too few intervals ({sa.N} and {sb.N}; {MinIntervals} needed)");
        }

        var combined = Math.Sqrt((sa.StdErr * sa.StdErr) + (sb.StdErr * sb.StdErr));
        var diff = sb.Mean - sa.Mean;
        var z = combined > 0 ? Math.Abs(diff) / combined : (diff == 0 ? 0 : double.PositiveInfinity);
        var why = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"per-interval means {sa.Mean:G4} ± {sa.StdErr:G2} (n={sa.N}) and {sb.Mean:G4} ± {sb.StdErr:G2} (n={sb.N}): z = {(double.IsInfinity(z) ? "∞" : z.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture))}");
        if (z <= K)
        {
            return (Verdict.WithinNoise, why);
        }

        var improved = better == Better.Higher ? diff > 0 : diff < 0;
        return (improved ? Verdict.Better : Verdict.Worse, why);
    }

    private static ComparedFigure Judged(string group, string name, double a, double b, string unit, Better better, IEnumerable<double> seriesA, IEnumerable<double> seriesB)
    {
        var (verdict, why) = Judge(seriesA, seriesB, better);
        return new ComparedFigure(group, name, a, b, unit, verdict, why);
    }

    private static ComparedFigure NotJudged(string group, string name, double a, double b, string unit, string why) =>
        new(group, name, a, b, unit, Verdict.NotJudged, why);

    private static List<TimelineRecord> Usable(IReadOnlyList<TimelineRecord> timeline)
    {
        if (timeline.Count == 0)
        {
            return [];
        }

        var median = HtmlReport.Median(timeline.Select(p => p.Seconds).ToList());
        return timeline.Where(p => p.Seconds > 0 && p.Seconds >= median / 2).ToList();
    }

    private static double PerSecond(TimelineRecord p, string op) =>
        p.Latency.TryGetValue(op, out var l) ? l.Count / p.Seconds : 0;

    private static IEnumerable<double> PerBooking(IEnumerable<TimelineRecord> t, Func<TimelineRecord, double> value) =>
        t.Where(p => p.Bookings > 0).Select(p => value(p) / p.Bookings);

    private static double OpsPerSecond(RunDocument r) =>
        r.ElapsedSeconds <= 0 ? 0 : r.Operations.Where(o => o.Name != "booking").Sum(o => o.Count) / r.ElapsedSeconds;

    private static double Share(RunDocument r) =>
        r.ElapsedSeconds <= 0 ? 0 : r.Get("gc", "paused_seconds") / r.ElapsedSeconds;
}
