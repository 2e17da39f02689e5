using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using SlotEngine.Redis;
using Xunit.Abstractions;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The Redis series of the timeline (round trips per second, read-model staleness), against a real redis-server on a free loopback port.</summary>
public class RedisTimelineTests(ITestOutputHelper output)
{
    private const int Concurrency = 8;

    [Fact]
    public async Task A_redis_run_has_round_trips_and_staleness_over_time_in_the_json_and_on_the_page()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = Runs.SmallRedis(redis, nodes: 2) with { Concurrency = Concurrency };
        var result = await LoadRun.ExecuteAsync(settings, Runs.Quiet(), CancellationToken.None);
        Assert.NotNull(result);
        Assert.True(result.Stats.Bookings >= 400);

        var bytes = JsonReport.ToBytes(result);
        using var json = JsonDocument.Parse(bytes);
        var timeline = json.RootElement.GetProperty("timeline").EnumerateArray().ToList();
        Assert.NotEmpty(timeline);

        double roundTrips = 0;
        var busy = 0;
        var withStaleness = 0;
        foreach (var point in timeline)
        {
            // Every interval has the group; the rate is never negative.
            var r = point.GetProperty("redis");
            var perSecond = r.GetProperty("round_trips_per_second").GetDouble();
            Assert.True(perSecond >= 0);
            roundTrips += perSecond * point.GetProperty("seconds").GetDouble();

            // Each worker has one operation in flight, so of the holds and confirms that ended in an
            // interval at most one per worker sent its script before the interval began: more than
            // that, and some round trips fell in the interval.
            var latency = point.GetProperty("latency_us");
            var redisOperations = latency.GetProperty("hold").GetProperty("count").GetInt64() + latency.GetProperty("confirm").GetProperty("count").GetInt64();
            if (redisOperations > Concurrency)
            {
                busy++;
                Assert.True(perSecond > 0, $"no round trips at t = {point.GetProperty("t").GetDouble()} s with {redisOperations} holds and confirms");
            }

            // Staleness is there when changes reached the read models in the interval, in order.
            if (r.TryGetProperty("staleness_p50_ms", out var p50))
            {
                withStaleness++;
                var p99 = r.GetProperty("staleness_p99_ms").GetDouble();
                var max = r.GetProperty("staleness_max_ms").GetDouble();
                Assert.True(p50.GetDouble() >= 0);
                Assert.True(p99 >= p50.GetDouble(), $"p99 {p99} < p50 {p50.GetDouble()}");
                Assert.True(max >= p99, $"max {max} < p99 {p99}");
            }
            else
            {
                Assert.False(r.TryGetProperty("staleness_max_ms", out _));
            }
        }

        Assert.True(busy > 0, "no interval had more holds and confirms than workers");

        // Standalone: every change reaches both nodes' read models, so some interval saw the feed's lag.
        Assert.True(withStaleness > 0);

        // The timeline listens within the window of the whole-run figure (the same meter, from the
        // load's start to its last interval), so it counts at most as many round trips; a booking is
        // at least a hold and a confirm, so it counts some. (Other tests' engines in this process
        // share the meter: only bounds hold.)
        var whole = json.RootElement.GetProperty("redis").GetProperty("round_trips_per_booking").GetDouble() * result.Stats.Bookings;
        Assert.True(roundTrips > 0);
        Assert.True(roundTrips <= (whole * 1.01) + 1, $"timeline {roundTrips:N0} round trips, whole run {whole:N0}");

        // The page draws them: rates in one chart, milliseconds in another.
        var html = HtmlReport.Render(RunDocument.Parse(bytes, "redis.json"));
        Assert.Contains("id=\"chart-redis-rate\"", html, StringComparison.Ordinal);
        Assert.Contains("data-series=\"round_trips_per_second\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-redis-ms\"", html, StringComparison.Ordinal);
        foreach (var series in new[] { "staleness_p50_ms", "staleness_p99_ms", "staleness_max_ms" })
        {
            Assert.Contains($"data-series=\"{series}\"", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_last_sliver_folds_rates_by_length_and_quantiles_by_the_larger()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 2_000, Duration = null, Concurrency = 1, Citizens = 1_000 };
        var control = new RunControl(settings, new Scenario.ScenarioClock(LoadRun.ScenarioStart, realTime: false), new Scenario.ScenarioTimeline(LoadRun.ScenarioStart, 0.3, LoadRun.RushSpan, LoadRun.ScenarioSpan), CancellationToken.None);
        var probe = new ScriptedProbe(
            new Dictionary<string, double> { ["round_trips_per_second"] = 10, ["staleness_p99_ms"] = 5, ["staleness_max_ms"] = 8, ["only_first_ms"] = 1 },
            new Dictionary<string, double> { ["round_trips_per_second"] = 100, ["staleness_p99_ms"] = 20, ["staleness_max_ms"] = 30 });
        var sampler = new TimelineSampler([new WorkerStats()], control, settings, [probe]);
        sampler.Prepare();
        control.Begin();
        sampler.Begin();

        // A long first interval (a fifth of a second, measured, not waited on), then the load's end a moment later.
        var first = Stopwatch.StartNew();
        while (first.Elapsed < TimeSpan.FromSeconds(0.2))
        {
            Thread.Yield();
        }

        sampler.Sample();
        sampler.Sample(last: true);

        var point = Assert.Single(sampler.Points);
        Assert.Equal(2, probe.Seconds.Count);
        Assert.Equal(probe.Seconds[0] + probe.Seconds[1], point.Seconds, 9);
        var redis = point.Extras["redis"];
        Assert.Equal(((10 * probe.Seconds[0]) + (100 * probe.Seconds[1])) / point.Seconds, redis["round_trips_per_second"], 9);
        Assert.Equal(20, redis["staleness_p99_ms"]);
        Assert.Equal(30, redis["staleness_max_ms"]);
        Assert.Equal(1, redis["only_first_ms"]);
    }

    [Fact]
    public void Recording_a_round_trip_or_a_lag_allocates_nothing()
    {
        // A meter of the store's name, as the store's own instruments (which the listener finds by
        // name); lower-case command tags, as other runs' listeners in this process may see them too.
        using var meter = new Meter(RedisSlotEngineTelemetry.MeterName);
        var roundTrip = meter.CreateHistogram<double>(RedisSlotEngineTelemetry.RoundTripDuration, "s");
        var lag = meter.CreateHistogram<double>(RedisSlotEngineTelemetry.ChangeFeedLag, "s");
        using var probe = new RedisTimelineProbe();
        probe.Begin();
        var tag = new KeyValuePair<string, object?>(RedisSlotEngineTelemetry.CommandTag, "evalsha");
        void Record(int n)
        {
            for (var i = 0; i < n; i++)
            {
                roundTrip.Record(0.0002, tag);
                lag.Record(0.001 + (i % 100 * 0.0001));
            }
        }

        Record(1_000); // warm up
        var cpu = new Stopwatch();
        var before = GC.GetAllocatedBytesForCurrentThread();
        cpu.Start();
        Record(100_000);
        cpu.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"100,000 round trips and 100,000 lags: {allocated:N0} bytes allocated, {cpu.Elapsed.TotalMilliseconds * 1e6 / 200_000:N0} ns per measurement (not asserted)");
        Assert.Equal(0, allocated);

        var values = new Dictionary<string, double>();
        probe.Sample(1, values);
        Assert.True(values["round_trips_per_second"] >= 101_000);
        Assert.True(values["staleness_max_ms"] >= 10.9); // 1 + 99 × 0.1 ms, to the histogram's 1/128
    }

    [Fact]
    public async Task The_in_memory_engine_has_no_probe_and_a_redis_engine_one()
    {
        Assert.Empty(TimelineProbes.For(new InMemorySlotEngine(new SlotEngineOptions())));

        await using var redis = await RedisServer.StartAsync();
        var options = new SlotEngineOptions { PatientKeyHasher = new PatientKeyHasher(new byte[32]) };
        var (engine, error) = await Backends.CreateAsync(new LoadSettings { Backend = BackendKind.Redis, RedisConnection = redis.Endpoint }, options, _ => { }, CancellationToken.None);
        Assert.True(engine is not null, error);
        try
        {
            var probe = Assert.Single(TimelineProbes.For(engine));
            Assert.Equal("redis", probe.Group);
            Assert.IsType<RedisTimelineProbe>(probe);
        }
        finally
        {
            await ((IAsyncDisposable)engine).DisposeAsync();
        }
    }

    /// <summary>Gives the values it was made with, one set per interval, and notes each interval's length.</summary>
    private sealed class ScriptedProbe(params Dictionary<string, double>[] intervals) : ITimelineProbe
    {
        public List<double> Seconds { get; } = [];

        public string Group => "redis";

        public void Sample(double seconds, IDictionary<string, double> values)
        {
            foreach (var (name, value) in intervals[Seconds.Count])
            {
                values[name] = value;
            }

            Seconds.Add(seconds);
        }
    }
}
