using FsCheck;
using FsCheck.Fluent;
using HdrHistogram;
using SlotEngine.LoadTest.Metrics;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

public class SpanHistogramTests
{
    [Fact]
    public void Adding_recorders_intervals_over_several_looks_matches_HdrHistograms_own_histogram()
    {
        Prop.ForAll(
            Gen.Choose(1, 2_000_000_000).Select(v => (long)v).ArrayOf().ArrayOf().ToArbitrary(),
            looks =>
            {
                // Two writers' recorders, looked at once per array of values, as the timeline sampler does.
                var recorders = new[] { LatencyHistogram.CreateRecorder(), LatencyHistogram.CreateRecorder() };
                var recycled = new HistogramBase?[2];
                var total = new LatencyHistogram();
                var expected = new LongHistogram(1, LatencyHistogram.MaxValue, LatencyHistogram.SignificantDigits);
                foreach (var look in looks)
                {
                    for (var i = 0; i < look.Length; i++)
                    {
                        recorders[i % 2].RecordValue(look[i]);
                        expected.RecordValue(look[i]);
                    }

                    var interval = new LatencyHistogram();
                    for (var w = 0; w < 2; w++)
                    {
                        recycled[w] = recorders[w].GetIntervalHistogram(recycled[w]);
                        interval.Add(recycled[w]!);
                    }

                    Assert.Equal(look.Length, interval.TotalCount);
                    total.Add(interval);
                    interval.Reset();
                    Assert.Equal(0, interval.TotalCount);
                    Assert.Equal(0, interval.Max);
                }

                Assert.Equal(expected.TotalCount, total.TotalCount);
                foreach (var p in new[] { 0.0, 1, 50, 90, 99, 99.9, 100 })
                {
                    Assert.Equal(expected.TotalCount == 0 ? 0 : expected.GetValueAtPercentile(p), total.ValueAtPercentile(p));
                }

                foreach (var value in looks.SelectMany(l => l))
                {
                    Assert.Equal(expected.GetCountAtValue(value), total.Histogram.GetCountAtValue(value));
                }
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Adding_a_LongHistogram_takes_every_count()
    {
        var other = new LongHistogram(1, LatencyHistogram.MaxValue, LatencyHistogram.SignificantDigits);
        other.RecordValue(300);
        other.RecordValue(5_000_000);
        var h = new LatencyHistogram();
        h.Add(other);
        h.Record(1_000);
        Assert.Equal(3, h.TotalCount);
        Assert.InRange(h.ValueAtPercentile(50), 1_000, 1_008);
        Assert.Equal(other.GetValueAtPercentile(100), h.Max);
    }

    [Fact]
    public void The_samplers_cpu_goes_to_the_generator_and_not_the_engine()
    {
        // 100 s of worker loops, 25 s of them outside engine calls; 1,000 bookings at 50 µs of process CPU each,
        // of which the sampler's thread used 10 µs per booking.
        var cost = new GeneratorCost(EngineSeconds: 75, LoopSeconds: 100, Bookings: 1_000, CpuMicrosPerBooking: 50, BackgroundCpuMicros: 10_000);
        Assert.Equal(10, cost.BackgroundCpuMicrosPerBooking, 9);
        Assert.Equal(10 + (40 * 0.25), cost.GeneratorCpuMicrosPerBooking, 9);
        Assert.Equal(40 * 0.75, cost.EngineCpuMicrosPerBooking, 9);

        var without = cost with { BackgroundCpuMicros = 0 };
        Assert.Equal(50 * 0.75, without.EngineCpuMicrosPerBooking, 9);
    }

    [Fact]
    public void The_thread_cpu_clock_advances_with_work_on_this_thread()
    {
        var before = ThreadCpuClock.Now();
        var x = 0L;
        for (var i = 0; i < 50_000_000 && (ThreadCpuClock.Now() == before || i < 1_000_000); i++)
        {
            x += i & 7;
        }

        GC.KeepAlive(x);
        if (ThreadCpuClock.IsThreadClock)
        {
            Assert.True(ThreadCpuClock.Now() > before);
        }
        else
        {
            Assert.Equal(TimeSpan.Zero, ThreadCpuClock.Now());
        }
    }
}
