using System.Globalization;
using System.Xml.Linq;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The second SVG beside the JSON report: bookings and waitlist offers per second over the rush (issue 12).</summary>
public class RushPlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public async Task A_run_writes_the_rush_plot_with_both_series_one_point_per_interval_and_the_runs_totals()
    {
        // Limited by time, not by bookings: a bookings target can be met within one interval on a quiet machine.
        var run = await Runs.RunAsync(new LoadSettings { Providers = 300, BookingsTarget = null, Duration = TimeSpan.FromSeconds(2), Concurrency = 2, Citizens = 3_000, Seed = 7 });
        Assert.True(run.Settings.Rush, "the rush is on by default");
        Assert.True(run.Waitlist.OffersMade > 0, "no offer made");
        var path = Runs.TempPath(".json");
        var settings = run.Settings with { JsonPath = path };
        try
        {
            var lines = ReportFiles.Write(settings, run with { Settings = settings });
            var rushPath = Path.ChangeExtension(path, null) + ".rush.svg";
            Assert.True(File.Exists(rushPath), "no .rush.svg beside the JSON");
            Assert.Contains(lines, l => l.Contains(rushPath, StringComparison.Ordinal));

            var svg = XDocument.Load(rushPath); // well-formed XML
            Assert.Equal(Svg + "svg", svg.Root!.Name);
            Assert.DoesNotContain(svg.Descendants(), e => e.Name.LocalName is "script" or "foreignObject" or "image" or "use" or "style");
            Assert.DoesNotContain(svg.Descendants().Attributes(), a => a.Name.LocalName == "href" || a.Name.LocalName.StartsWith("on", StringComparison.Ordinal));

            var series = svg.Descendants(Svg + "polyline").ToDictionary(e => (string)e.Attribute("data-series")!);
            Assert.Equal(["bookings", "offers"], series.Keys.Order());
            var intervals = run.Timeline.Count;
            Assert.True(intervals > 1, $"{intervals} intervals");
            foreach (var line in series.Values)
            {
                var points = ((string)line.Attribute("points")!).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(intervals, points.Length);
                Assert.Equal(intervals, (int)line.Attribute("data-points")!);
                Assert.All(points, p => Assert.Equal(2, p.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).Count()));
            }

            // Bookings: every one is in some interval. Offers: those the timeline saw, which are all made during the
            // load; an offer made after the last look (while the run winds down) is the run's but no interval's.
            Assert.Equal(run.Stats.Bookings, (long)series["bookings"].Attribute("data-total")!);
            Assert.Equal(run.Stats.Bookings, run.Timeline.Sum(p => p.Bookings));
            var offers = (long)series["offers"].Attribute("data-total")!;
            Assert.Equal(run.Timeline.Sum(p => p.Offers), offers);
            Assert.InRange(offers, 1, run.Waitlist.OffersMade);

            // The opening is marked, the axes are labelled, the rush shaded.
            var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();
            Assert.Contains(texts, t => t.StartsWith("opening ", StringComparison.Ordinal));
            Assert.Contains("bookings per second", texts);
            Assert.Contains("waitlist offers per second", texts);
            Assert.Contains(texts, t => t.StartsWith("seconds from the start of the load", StringComparison.Ordinal));
            Assert.Contains(svg.Descendants(Svg + "line"), l => (string?)l.Attribute("class") == "mark");
            Assert.Contains(svg.Descendants(Svg + "rect"), l => (string?)l.Attribute("class") == "rush");

            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
            var timeline = json.RootElement.GetProperty("timeline");
            Assert.Equal(offers, timeline.EnumerateArray().Sum(p => p.GetProperty("offers").GetInt64()));
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileNameWithoutExtension(path) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public void The_sampler_counts_the_offers_made_in_each_interval()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 2_000, Duration = null, Concurrency = 2, Citizens = 1_000 };
        var control = new RunControl(settings, new Scenario.ScenarioClock(LoadRun.ScenarioStart, realTime: false), new Scenario.ScenarioTimeline(LoadRun.ScenarioStart, 0.3, LoadRun.RushSpan, LoadRun.ScenarioSpan), CancellationToken.None);
        var stats = new[] { new WorkerStats() };
        long made = 0;
        var sampler = new TimelineSampler(stats, control, settings, []) { OffersMade = () => made };
        sampler.Prepare();
        control.Begin();
        sampler.Begin();
        made = 3;
        sampler.Sample();
        sampler.Sample();
        made = 7;
        sampler.Sample();
        Assert.Equal([3L, 0L, 4L], sampler.Points.Select(p => p.Offers));
        Assert.All(sampler.Points, p => Assert.Equal(p.Seconds > 0 ? p.Offers / p.Seconds : 0, p.OffersPerSecond));
    }

    [Fact]
    public void Openings_are_placed_by_the_scenario_time_the_timeline_recorded()
    {
        var start = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.FromHours(3));
        TimelinePoint Point(double t, long bookings, long offers, int scenarioSeconds) => new()
        {
            StartSeconds = t,
            Seconds = 1,
            Bookings = bookings,
            Offers = offers,
            Operations = 0,
            Latency = new OperationInterval[OperationNames.Count],
            Failures = new long[OperationNames.ReasonCount],
            Collections = (0, 0, 0),
            GcPauseMillis = 0,
            AllocatedBytes = 0,
            CpuMillis = 0,
            Progress = (t + 1) / 3,
            ScenarioTime = start.AddSeconds(scenarioSeconds),
            Rush = t < 1,
        };
        TimelinePoint[] timeline = [Point(0, 100, 0, 20), Point(1, 50, 8, 60), Point(2, 10, 2, 100)];

        Assert.Equal(0, RushPlot.RunSecondsAt(timeline, start, start));
        Assert.Equal(0.5, RushPlot.RunSecondsAt(timeline, start, start.AddSeconds(10)));
        Assert.Equal(1.25, RushPlot.RunSecondsAt(timeline, start, start.AddSeconds(30)));
        Assert.Null(RushPlot.RunSecondsAt(timeline, start, start.AddSeconds(101)));
        Assert.Null(RushPlot.RunSecondsAt(timeline, start, start.AddSeconds(-1)));

        var marks = new[] { new RushMark(0, "opening 10:00, cohort 1"), new RushMark(0.5, "cohort 2") };
        var svg = XDocument.Parse(RushPlot.Render("t & <title>", "s", timeline, marks));
        Assert.Equal(2, svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "mark"));
        var offers = svg.Descendants(Svg + "polyline").Single(e => (string?)e.Attribute("data-series") == "offers");
        var ys = ((string)offers.Attribute("points")!).Split(' ').Select(p => double.Parse(p.Split(',')[1], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, ys.Length);
        Assert.Equal(1, Array.IndexOf(ys, ys.Min())); // the highest point is the interval with most offers per second
        Assert.True(ys[0] > ys[2], "no offers is below two per second");
        Assert.Equal(10L, (long)offers.Attribute("data-total")!);
    }
}
