using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using HdrHistogram;
using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Tests;

public class IntervalRecorderTests
{
    [Fact]
    public void Intervals_over_several_looks_add_up_to_HdrHistograms_own_histogram()
    {
        Prop.ForAll(
            Gen.Choose(1, 2_000_000_000).Select(v => (long)v).ArrayOf().ArrayOf().ToArbitrary(),
            looks =>
            {
                // Two writers' recorders, looked at once per array of values, as the timeline sampler does.
                var recorders = new[] { new IntervalRecorder(), new IntervalRecorder() };
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

                    Assert.Equal(look.Length, interval.TotalCount); // this look's values, none of an earlier one
                    total.Add(interval);
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
    public async Task A_reader_looking_while_the_writer_records_takes_every_value_once()
    {
        const int Values = 3_000_000;
        var recorder = new IntervalRecorder();
        var total = new LatencyHistogram();
        HistogramBase? recycled = null;
        var start = new Barrier(2);
        var writer = Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < Values; i++)
            {
                recorder.RecordValue(1 + (i % 100_000)); // 1 ns to 100 µs: a few thousand counts, new ones appearing as it goes
            }
        });

        start.SignalAndWait();
        var looks = 0;
        while (!writer.IsCompleted)
        {
            recycled = recorder.GetIntervalHistogram(recycled);
            total.Add(recycled);
            looks++;
        }

        await writer;
        recycled = recorder.GetIntervalHistogram(recycled); // the last look, after the writer stopped
        total.Add(recycled);

        Assert.True(looks > 0);
        Assert.Equal(Values, total.TotalCount);
        for (var v = 1; v <= 100_000; v += 997)
        {
            Assert.Equal(Values / 100_000, total.Histogram.GetCountAtValue(v) / CountsPerBucket(v));
        }
    }

    [Fact]
    public void The_call_clock_keeps_the_stopwatchs_pace()
    {
        // Both clocks read around the same busy span: their elapsed times agree (a ratio, not a duration). A counter
        // calibrated wrong, or ticks of one clock divided by the other's frequency, would be off by the ratio of the
        // frequencies (2.6 on this machine) in every try; a try whose paired readings were split by a preemption (the
        // Stopwatch readings around the counter's more than 1 ms apart) is not judged, and five are allowed.
        var ratios = new List<double>();
        for (var attempt = 0; attempt < 5 && !ratios.Any(r => r is > 0.98 and < 1.02); attempt++)
        {
            var (clock0, stopwatch0, split0) = Pair();
            var x = 0L;
            for (var i = 0; i < 50_000_000; i++)
            {
                x += i & 7;
            }

            var (clock1, stopwatch1, split1) = Pair();
            GC.KeepAlive(x);
            Assert.True(clock1 > clock0);
            if (split0 || split1)
            {
                continue;
            }

            ratios.Add(((double)(clock1 - clock0) / CallClock.Frequency) / ((double)(stopwatch1 - stopwatch0) / Stopwatch.Frequency));
        }

        Assert.Contains(ratios, r => r is > 0.98 and < 1.02);
        Assert.Equal(1_000_000_000, CallClock.ToNanos(CallClock.Frequency), tolerance: 1);

        static (long Clock, long Stopwatch, bool Split) Pair()
        {
            var before = Stopwatch.GetTimestamp();
            var clock = CallClock.Now();
            var after = Stopwatch.GetTimestamp();
            return (clock, before + ((after - before) / 2), after - before > Stopwatch.Frequency / 1000);
        }
    }

    [Fact]
    public void The_call_clock_reads_the_time_stamp_counter_where_the_kernel_keeps_time_with_it()
    {
        const string ClockSource = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
        var tsc = OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
            && File.Exists(ClockSource) && File.ReadAllText(ClockSource).Trim() == "tsc";
        Assert.Equal(tsc ? "tsc" : "stopwatch", CallClock.Source);
        if (tsc)
        {
            Assert.InRange(CallClock.Frequency, 100_000_000, 10_000_000_000); // a CPU's counter: 0.1 to 10 GHz
        }
        else
        {
            Assert.Equal(Stopwatch.Frequency, CallClock.Frequency);
        }
    }

    /// <summary>How many of the values 1..100,000 share <paramref name="value"/>'s bucket (values below 256 have one each).</summary>
    private static long CountsPerBucket(long value)
    {
        var h = new LongHistogram(1, LatencyHistogram.MaxValue, LatencyHistogram.SignificantDigits);
        var low = h.LowestEquivalentValue(value);
        var high = Math.Min(h.HighestEquivalentValue(value), 100_000);
        return high - low + 1;
    }
}
