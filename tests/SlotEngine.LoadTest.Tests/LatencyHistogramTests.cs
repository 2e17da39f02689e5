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
        for (var v = 0; v < 256; v++)
        {
            h.Record(v);
        }

        Assert.Equal(256, h.TotalCount);
        Assert.Equal(0, h.ValueAtPercentile(0));
        Assert.Equal(127, h.ValueAtPercentile(50));
        Assert.Equal(255, h.ValueAtPercentile(100));
        Assert.Equal(255, h.Max);
        Assert.Equal(0, h.Min);
    }

    [Fact]
    public void Buckets_tile_the_range_without_gaps_or_overlaps()
    {
        var previousHigh = -1L;
        for (var index = 0; index <= LatencyHistogram.IndexOf(LatencyHistogram.MaxValue); index++)
        {
            var low = LatencyHistogram.LowestEquivalent(index);
            var high = LatencyHistogram.HighestEquivalent(index);
            Assert.Equal(previousHigh + 1, low);
            Assert.Equal(index, LatencyHistogram.IndexOf(low));
            Assert.Equal(index, LatencyHistogram.IndexOf(high));
            Assert.True(high - low + 1 <= Math.Max(1, low / 128), $"bucket {index} [{low}, {high}] is wider than 1/128 of its values");
            previousHigh = high;
        }
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

                var sorted = values.OrderBy(v => v).ToArray();
                var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * sorted.Length));
                var exact = sorted[rank - 1];
                var reported = h.ValueAtPercentile(percentile);
                return Math.Abs(reported - exact) <= exact * 0.01;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Max_and_min_are_exact()
    {
        var h = new LatencyHistogram();
        h.Record(1_234_567);
        h.Record(987_654_321);
        h.Record(300);
        Assert.Equal(987_654_321, h.Max);
        Assert.Equal(300, h.Min);
        Assert.Equal(987_654_321, h.ValueAtPercentile(100));
    }

    [Fact]
    public void Merging_workers_equals_recording_everything_in_one()
    {
        var random = new Random(7);
        var all = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        for (var i = 0; i < 30_000; i++)
        {
            var v = (long)Math.Exp(random.NextDouble() * 20);
            all.Record(v);
            parts[i % 3].Record(v);
        }

        var merged = new LatencyHistogram();
        foreach (var part in parts)
        {
            merged.Add(part);
        }

        Assert.Equal(all.TotalCount, merged.TotalCount);
        Assert.Equal(all.Max, merged.Max);
        Assert.Equal(all.Min, merged.Min);
        foreach (var p in new[] { 0, 50, 90, 99, 99.9, 99.99, 100 })
        {
            Assert.Equal(all.ValueAtPercentile(p), merged.ValueAtPercentile(p));
        }
    }

    [Fact]
    public void Minus_an_earlier_copy_leaves_the_interval()
    {
        var h = new LatencyHistogram();
        for (var i = 0; i < 1000; i++)
        {
            h.Record(1_000);
        }

        var earlier = new LatencyHistogram();
        earlier.Add(h);
        for (var i = 0; i < 100; i++)
        {
            h.Record(1_000_000);
        }

        var interval = h.Minus(earlier);
        Assert.Equal(100, interval.TotalCount);
        Assert.InRange(interval.ValueAtPercentile(50), 990_000, 1_010_000);
    }

    [Fact]
    public void Out_of_range_values_are_clamped_not_lost()
    {
        var h = new LatencyHistogram();
        h.Record(-5);
        h.Record(long.MaxValue);
        Assert.Equal(2, h.TotalCount);
        Assert.Equal(0, h.ValueAtPercentile(0));
        Assert.Equal(LatencyHistogram.MaxValue, h.Max);
    }

    [Fact]
    public void An_empty_histogram_reports_zero()
    {
        var h = new LatencyHistogram();
        Assert.Equal(0, h.ValueAtPercentile(99));
        Assert.Equal(0, h.Max);
        Assert.Equal(0, h.Min);
    }
}
