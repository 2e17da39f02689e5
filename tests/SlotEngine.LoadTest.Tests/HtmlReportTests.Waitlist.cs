using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The page's waitlist part: the offers chart, the line at a glance, the table, the hover data.</summary>
public partial class HtmlReportTests
{
    private static readonly Lazy<Task<RunResult>> WithOffers = new(() =>
        Runs.RunAsync(new LoadSettings { Providers = 300, BookingsTarget = null, Duration = TimeSpan.FromSeconds(2), Concurrency = 2, Citizens = 3_000, Seed = 7 }));

    [Fact]
    public async Task The_page_draws_offers_per_second_and_the_waitlist_figures_of_the_run()
    {
        var run = await WithOffers.Value;
        Assert.True(run.Waitlist.OffersMade > 0, "no offer made");
        var json = JsonReport.ToBytes(run);
        var html = HtmlReport.Render(RunDocument.Parse(json, "run.json"));

        // The offers chart: one point per interval, its peak the timeline's, its total the timeline's sum.
        var chart = Regex.Match(html, "<svg id=\"chart-offers\"[^>]*>");
        Assert.True(chart.Success, "no offers chart");
        Assert.Contains($"data-points=\"{run.Timeline.Count}\"", chart.Value, StringComparison.Ordinal);
        Assert.Contains($"data-peak=\"{run.Timeline.Max(p => Math.Round(p.OffersPerSecond, 1)).ToString("0.###", CultureInfo.InvariantCulture)}\"", chart.Value, StringComparison.Ordinal);
        Assert.Contains($"({N(run.Timeline.Sum(p => p.Offers))} in all)", html, StringComparison.Ordinal);
        Assert.Contains("data-series=\"offers/s\"", html, StringComparison.Ordinal);

        // At a glance and in the table: the run's own figures.
        Assert.Contains($"<b>{N(run.Waitlist.OffersMade)} offers made</b>", html, StringComparison.Ordinal);
        var table = Regex.Match(html, "<table class=\"kv\" id=\"waitlist-table\">.*?</table>", RegexOptions.Singleline).Value;
        foreach (var (field, value) in new[]
        {
            ("waitlist_registered", run.Waitlist.Registered),
            ("offers_made", run.Waitlist.OffersMade),
            ("offers_accepted", run.Waitlist.OffersAccepted),
            ("offers_lapsed", run.Waitlist.OffersLapsed),
            ("offers_reoffered", run.Waitlist.Reoffered),
            ("offers_lapsed_swept", run.Waitlist.LapsedSwept),
            ("claims_refused_not_open", run.Rush.RefusedNotOpen),
            ("pool_violations", run.Rush.PoolViolations),
        })
        {
            Assert.Contains($"<td>{field}</td><td>{N(value)}</td>", table, StringComparison.Ordinal);
        }

        Assert.Contains("<tr class=\"ok\"><td>fifo_violations</td><td>0</td></tr>", table, StringComparison.Ordinal);
        Assert.Contains($"{N(run.Waitlist.Sweeper!.Sweeps)} sweeps", table, StringComparison.Ordinal);

        // The hover read-out's data carries the offers per interval.
        var data = Regex.Match(html, "<script type=\"application/json\" id=\"timeline-data\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        using var document = JsonDocument.Parse(data);
        var offers = document.RootElement.GetProperty("runs")[0].GetProperty("offers").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(run.Timeline.Select(p => Math.Round(p.OffersPerSecond, 1)), offers);
    }

    [Fact]
    public async Task Without_the_waitlist_the_page_has_no_offers_part()
    {
        var run = (await WithOffers.Value) with { Waitlist = WaitlistTotals.Off, Rush = RushTotals.Off };
        var html = HtmlReport.Render(RunDocument.Parse(JsonReport.ToBytes(run), "off.json"));

        Assert.DoesNotContain("chart-offers", html, StringComparison.Ordinal);
        Assert.DoesNotContain("waitlist-table", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>Waitlist:</b>", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-throughput\"", html, StringComparison.Ordinal);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
