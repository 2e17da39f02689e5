using System.Text.Json;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

public class TimelineTests
{
    [Theory]
    [InlineData(10.0, 0.1)] // the default run: 100 points
    [InlineData(30.0, 0.25)]
    [InlineData(100.0, 1.0)]
    [InlineData(600.0, 1.0)] // ten minutes: one per second
    [InlineData(3.0, 0.05)]
    [InlineData(9.99, 0.1)] // progress read a moment after the elapsed time
    public void The_interval_is_about_a_hundredth_of_a_known_duration(double seconds, double expected) =>
        Assert.Equal(expected, TimelineSampler.ChooseInterval(0, 0, TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Without_a_duration_the_interval_follows_the_progress()
    {
        Assert.Equal(0.05, TimelineSampler.ChooseInterval(0, 0, null));
        Assert.Equal(0.5, TimelineSampler.ChooseInterval(6, 0.1, null)); // 60 s expected
        Assert.Equal(1.0, TimelineSampler.ChooseInterval(60, 0.1, null)); // 600 s expected
        Assert.Equal(0.1, TimelineSampler.ChooseInterval(60, 0.1, TimeSpan.FromSeconds(10))); // the limit is sooner
    }

    [Fact]
    public async Task The_timeline_adds_up_to_the_run()
    {
        var result = await Runs.OneAndAHalfSeconds;
        var t = result.Timeline;
        Assert.True(t.Count >= 10, $"{t.Count} intervals");

        // Contiguous, in order, covering the load.
        Assert.Equal(0, t[0].StartSeconds, 3);
        for (var i = 1; i < t.Count; i++)
        {
            Assert.Equal(t[i - 1].StartSeconds + t[i - 1].Seconds, t[i].StartSeconds, 3);
        }

        Assert.Equal(result.ElapsedSeconds, t[^1].StartSeconds + t[^1].Seconds, 1);

        // Every booking, operation and failure is in exactly one interval.
        Assert.Equal(result.Stats.Bookings, t.Sum(p => p.Bookings));
        for (var op = 0; op < OperationNames.Count; op++)
        {
            Assert.Equal(result.Stats.Latency[op].TotalCount, t.Sum(p => p.Latency[op].Count));
        }

        for (var r = 0; r < OperationNames.ReasonCount; r++)
        {
            long total = 0;
            for (var op = 0; op < OperationNames.Count; op++)
            {
                total += result.Stats.Failures((Operation)op, (FailureReason)r);
            }

            Assert.Equal(total, t.Sum(p => p.Failures[r]));
        }

        // The rush comes first (progress below the rush share), then the steady part.
        Assert.True(t[0].Rush);
        Assert.False(t[^1].Rush);
        Assert.Equal(t.Count(p => p.Rush), t.TakeWhile(p => p.Rush).Count());

        // An interval's percentiles are ordered and bounded by the whole run's max.
        foreach (var p in t)
        {
            var l = p.Latency[(int)Operation.Search];
            Assert.True(l.Count == 0 || (l.P50Micros <= l.P99Micros && l.P99Micros <= l.MaxMicros), $"{l}");
            Assert.True(l.MaxMicros <= (result.Stats.Latency[(int)Operation.Search].Max / 1000.0) + 0.001);
        }
    }

    [Fact]
    public async Task The_json_has_the_timeline_and_each_operations_percentile_curve()
    {
        var result = await Runs.OneAndAHalfSeconds;
        using var json = JsonDocument.Parse(JsonReport.ToBytes(result));
        var timeline = json.RootElement.GetProperty("timeline");
        Assert.Equal(result.Timeline.Count, timeline.GetArrayLength());
        var first = timeline[0];
        foreach (var field in new[] { "t", "seconds", "bookings", "bookings_per_second", "operations_per_second", "latency_us", "failures", "gc", "allocated_bytes", "cpu_ms", "progress", "scenario_time", "rush" })
        {
            Assert.True(first.TryGetProperty(field, out _), field);
        }

        Assert.Equal(result.Timeline[0].Bookings, first.GetProperty("bookings").GetInt64());
        Assert.Equal(result.Timeline[0].Latency[(int)Operation.Hold].Count, first.GetProperty("latency_us").GetProperty("hold").GetProperty("count").GetInt64());

        var curve = json.RootElement.GetProperty("operations").GetProperty("search").GetProperty("latency_by_percentile");
        Assert.True(curve.GetArrayLength() > 10);
        var last = curve[curve.GetArrayLength() - 1];
        Assert.Equal(100, last[0].GetDouble(), 6);
        Assert.Equal(result.Stats.Latency[(int)Operation.Search].Max / 1000.0, last[1].GetDouble(), 0);
    }

    [Fact]
    public async Task A_probe_adds_its_series_to_every_interval()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 2_000, Duration = null, Concurrency = 2, Citizens = 1_000 };
        var control = new RunControl(settings, new Scenario.ScenarioClock(LoadRun.ScenarioStart, realTime: false), new Scenario.ScenarioTimeline(LoadRun.ScenarioStart, 0.3, LoadRun.RushSpan, LoadRun.ScenarioSpan), CancellationToken.None);
        var stats = new[] { new WorkerStats() };
        var probe = new CountingProbe();
        var sampler = new TimelineSampler(stats, control, settings, [probe, new FailingProbe()]);
        sampler.Prepare();
        control.Begin();
        sampler.Begin();
        stats[0].Record(Operation.Search, 1_500);
        stats[0].Booked();
        sampler.Sample();
        stats[0].Record(Operation.Search, 2_500);
        sampler.Sample();
        Assert.Equal(2, probe.Calls);
        Assert.All(sampler.Points, p => Assert.Equal(7.5, p.Extras["redis"]["round_trips_per_second"]));
        Assert.All(sampler.Points, p => Assert.False(p.Extras.ContainsKey("broken"))); // a probe that throws is left out
        Assert.Equal([1L, 0L], sampler.Points.Select(p => p.Bookings));
        Assert.Equal([1L, 1L], sampler.Points.Select(p => p.Latency[(int)Operation.Search].Count));
        Assert.Equal(2, sampler.Totals[(int)Operation.Search].TotalCount);
    }

    [Fact]
    public void Sampling_an_interval_allocates_little_and_not_per_value()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 2_000, Duration = null, Concurrency = 4, Citizens = 1_000 };
        var control = new RunControl(settings, new Scenario.ScenarioClock(LoadRun.ScenarioStart, realTime: false), new Scenario.ScenarioTimeline(LoadRun.ScenarioStart, 0.3, LoadRun.RushSpan, LoadRun.ScenarioSpan), CancellationToken.None);
        var stats = Enumerable.Range(0, 4).Select(_ => new WorkerStats()).ToArray();
        var sampler = new TimelineSampler(stats, control, settings, []);
        sampler.Prepare();
        control.Begin();
        sampler.Begin();
        long Allocated(int values)
        {
            var random = new Random(values);
            foreach (var s in stats)
            {
                for (var i = 0; i < values; i++)
                {
                    s.Record((Operation)(i % OperationNames.Count), (long)Math.Exp(random.NextDouble() * 20) + 1);
                }
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            sampler.Sample();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(1_000); // warm up
        var few = Allocated(100);
        var many = Allocated(100_000);
        Assert.True(many < 8 * 1024, $"{many:N0} bytes for one interval of 400,000 values");
        Assert.True(many <= few + 256, $"{few:N0} bytes for 400 values, {many:N0} for 400,000");
    }

    private sealed class FailingProbe : ITimelineProbe
    {
        public string Group => "broken";

        public void Sample(double seconds, IDictionary<string, double> values)
        {
            values["half"] = 1;
            throw new InvalidOperationException("cannot read");
        }
    }

    private sealed class CountingProbe : ITimelineProbe
    {
        public int Calls { get; private set; }

        public string Group => "redis";

        public void Sample(double seconds, IDictionary<string, double> values)
        {
            Calls++;
            values["round_trips_per_second"] = 7.5;
        }
    }
}
