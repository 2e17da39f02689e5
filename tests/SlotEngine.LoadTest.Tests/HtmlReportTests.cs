using System.Diagnostics;
using System.Text.RegularExpressions;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using Xunit.Abstractions;

namespace SlotEngine.LoadTest.Tests;

public partial class HtmlReportTests(ITestOutputHelper output)
{
    /// <summary>A 10-minute run's timeline, one point per second, with Redis series, failures and GC pauses.</summary>
    internal static IReadOnlyList<TimelinePoint> TenMinutes(bool redis)
    {
        var random = new Random(11);
        var points = new List<TimelinePoint>();
        for (var i = 0; i < 600; i++)
        {
            var failures = new long[OperationNames.ReasonCount];
            for (var r = 0; r < failures.Length; r++)
            {
                failures[r] = random.Next(0, 3) == 0 ? 0 : random.Next(1, 5_000);
            }

            var latency = new OperationInterval[OperationNames.Count];
            for (var op = 0; op < latency.Length; op++)
            {
                var p50 = 1 + (random.NextDouble() * 5);
                latency[op] = new OperationInterval(random.Next(10_000, 200_000), p50, p50 * (5 + (random.NextDouble() * 20)), p50 * (100 + (random.NextDouble() * 50_000)));
            }

            var extras = new Dictionary<string, IReadOnlyDictionary<string, double>>();
            if (redis)
            {
                extras["redis"] = new Dictionary<string, double>
                {
                    ["round_trips_per_second"] = random.Next(100_000, 300_000) + 0.123,
                    ["staleness_p50_ms"] = random.NextDouble() * 3,
                    ["staleness_p99_ms"] = random.NextDouble() * 40,
                    ["staleness_max_ms"] = random.NextDouble() * 300,
                };
            }

            points.Add(new TimelinePoint
            {
                StartSeconds = i * 1.0004,
                Seconds = 1.0004,
                Bookings = random.Next(40_000, 160_000),
                Operations = random.Next(150_000, 600_000),
                Latency = latency,
                Failures = failures,
                Collections = (random.Next(0, 3), random.Next(0, 2), 0),
                GcPauseMillis = i % 7 == 0 ? random.NextDouble() * 900 : 0,
                AllocatedBytes = random.Next(10_000_000, 200_000_000),
                CpuMillis = 1_000 + (random.NextDouble() * 900),
                Progress = (i + 1) / 600.0,
                ScenarioTime = LoadRun.ScenarioStart.AddMinutes(i * 2.4),
                Rush = i < 180,
                Extras = extras,
            });
        }

        return points;
    }

    [Fact]
    public async Task The_page_is_self_contained()
    {
        var result = await Runs.OneAndAHalfSeconds;
        var html = HtmlReport.Render(RunDocument.Parse(JsonReport.ToBytes(result), "run.json"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(SourceAttribute(), html);
        Assert.Contains("@media print", html, StringComparison.Ordinal);

        // The run's numbers are on it: bookings in the title, one chart per kind, one point per interval.
        Assert.Contains($"{result.Stats.Bookings:N0} bookings", html, StringComparison.Ordinal);
        foreach (var id in new[] { "chart-throughput", "chart-p99", "chart-latency-search", "chart-latency-hold", "chart-latency-booking", "chart-percentiles" })
        {
            Assert.Contains($"id=\"{id}\"", html, StringComparison.Ordinal);
        }

        Assert.Contains($"data-points=\"{result.Timeline.Count}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("chart-redis", html, StringComparison.Ordinal); // no probe, no Redis charts
    }

    [Fact]
    public async Task A_ten_minute_page_stays_under_two_megabytes()
    {
        var result = (await Runs.OneAndAHalfSeconds) with { Timeline = TenMinutes(redis: true) };
        var watch = Stopwatch.StartNew();
        var json = JsonReport.ToBytes(result);
        var html = HtmlReport.Render(RunDocument.Parse(json, "ten-minutes.json"));
        watch.Stop();
        var bytes = System.Text.Encoding.UTF8.GetByteCount(html);
        output.WriteLine($"600 intervals with Redis series: JSON {json.Length / 1024.0:N0} KiB, page {bytes / 1024.0:N0} KiB, JSON + page written in {watch.Elapsed.TotalMilliseconds:N0} ms (not asserted)");
        Assert.True(bytes < 2 * 1024 * 1024, $"{bytes:N0} bytes");
        Assert.Contains("data-points=\"600\"", html, StringComparison.Ordinal);

        // Series a probe added are drawn: rates in one chart, milliseconds in another.
        Assert.Contains("id=\"chart-redis-rate\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-redis-ms\"", html, StringComparison.Ordinal);
        Assert.Contains("data-series=\"staleness_p99_ms\"", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("""\s(src|href)\s*=\s*["']?(https?:|//)""", RegexOptions.IgnoreCase)]
    private static partial Regex SourceAttribute();
}
