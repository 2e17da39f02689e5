using FsCheck;
using FsCheck.Fluent;
using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Tests;

public class LatencyHistogramTests
{
    [Fact]
    public void Values_below_256_are_exact()
    {
        var h = new LatencyHistogram();
        for (var v = 1; v <= 255; v++)
        {
            h.Record(v);
        }

        Assert.Equal(255, h.TotalCount);
        Assert.Equal(1, h.ValueAtPercentile(0));
        Assert.Equal(128, h.ValueAtPercentile(50));
        Assert.Equal(255, h.ValueAtPercentile(100));
        Assert.Equal(255, h.Max);
    }

    [Fact]
    public void Every_percentile_is_within_one_percent_of_the_exact_value()
    {
        Prop.ForAll(
            Gen.Choose(1, 2_000_000_000).Select(v => (long)v).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            Gen.Choose(0, 100_000).Select(p => p / 1000.0).ToArbitrary(),
            (values, percentile) =>
            {
                var h = new LatencyHistogram();
                foreach (var v in values)
                {
                    h.Record(v);
                }

                // HdrHistogram's rank: the nearest whole count at the percentile, at least 1.
                var sorted = values.OrderBy(v => v).ToArray();
                var rank = Math.Max(1, (long)((percentile / 100.0 * sorted.Length) + 0.5));
                var exact = sorted[rank - 1];
                var reported = h.ValueAtPercentile(percentile);
                return Math.Abs(reported - exact) <= exact * 0.01;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Max_is_within_the_resolution()
    {
        var h = new LatencyHistogram();
        h.Record(1_234_567);
        h.Record(987_654_321);
        h.Record(300);
        Assert.InRange(h.Max, 987_654_321, 987_654_321 * 1.008);
        Assert.Equal(h.Max, h.ValueAtPercentile(100));
    }

    [Fact]
    public void Interval_histograms_from_recorders_add_up_to_everything_recorded()
    {
        var random = new Random(7);
        var all = new LatencyHistogram();
        var recorders = new[] { LatencyHistogram.CreateRecorder(), LatencyHistogram.CreateRecorder(), LatencyHistogram.CreateRecorder() };
        var total = new LatencyHistogram();
        for (var i = 0; i < 30_000; i++)
        {
            var v = (long)Math.Exp(random.NextDouble() * 20) + 1;
            all.Record(v);
            recorders[i % 3].RecordValue(LatencyHistogram.Clamp(v));
            if (i % 7_000 == 0)
            {
                foreach (var r in recorders)
                {
                    total.Add(r.GetIntervalHistogram());
                }
            }
        }

        foreach (var r in recorders)
        {
            total.Add(r.GetIntervalHistogram());
        }

        Assert.Equal(all.TotalCount, total.TotalCount);
        Assert.Equal(all.Max, total.Max);
        foreach (var p in new[] { 0, 50, 90, 99, 99.9, 99.99, 100 })
        {
            Assert.Equal(all.ValueAtPercentile(p), total.ValueAtPercentile(p));
        }
    }

    [Fact]
    public void Recording_into_a_recorder_allocates_nothing()
    {
        var recorder = LatencyHistogram.CreateRecorder();
        recorder.RecordValue(LatencyHistogram.Clamp(1_000)); // first call: JIT and statics
        // Up to three windows of 100,000 values: the runtime's one-off work (a loop's tier-up on a loaded machine) may
        // land in one, so the steady state is a window that allocates nothing.
        var allocated = long.MaxValue;
        var windows = 0;
        while (windows < 3 && allocated != 0)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100_000; i++)
            {
                recorder.RecordValue(LatencyHistogram.Clamp(i * 997L));
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            windows++;
        }

        Assert.Equal(0, allocated);
        Assert.Equal(1 + (100_000L * windows), recorder.GetIntervalHistogram().TotalCount);
    }

    [Fact]
    public void Out_of_range_values_are_clamped_not_lost()
    {
        var h = new LatencyHistogram();
        h.Record(-5);
        h.Record(long.MaxValue);
        Assert.Equal(2, h.TotalCount);
        Assert.Equal(1, h.ValueAtPercentile(0));
        Assert.InRange(h.Max, LatencyHistogram.MaxValue * 0.99, LatencyHistogram.MaxValue * 1.01);
    }

    [Fact]
    public void An_empty_histogram_reports_zero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.ValueAtPercentile(99));
        Assert.Equal(0, h.Max);
        Assert.Empty(h.PercentileCurve());
    }

    [Fact]
    public void The_hgrm_file_is_the_percentile_distribution_in_microseconds()
    {
        var h = new LatencyHistogram();
        for (var i = 1; i <= 1000; i++)
        {
            h.Record(i * 1_000L); // 1 µs to 1 ms
        }

        var path = Path.Combine(Path.GetTempPath(), "slotengine-load-" + Guid.NewGuid().ToString("N") + ".hgrm");
        try
        {
            h.WriteHgrm(path);
            var lines = File.ReadAllLines(path);
            Assert.Contains(lines, l => l.Contains("Percentile", StringComparison.Ordinal) && l.Contains("TotalCount", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("#[Max", StringComparison.Ordinal));
            var last = lines.Where(l => l.Length > 0 && char.IsWhiteSpace(l[0]) && char.IsDigit(l.Trim()[0])).Last().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(double.Parse(last[0], System.Globalization.CultureInfo.InvariantCulture), 1000, 1008);
            Assert.Equal(1000, long.Parse(last[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
