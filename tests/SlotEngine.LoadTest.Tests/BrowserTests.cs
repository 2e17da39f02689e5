using System.Globalization;
using System.Text.RegularExpressions;
using SlotEngine.LoadTest.Reports;
using Xunit.Abstractions;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// The pages in a real browser (Debian's chromium, headless). The run's page is the smoke run's
/// when <c>SLOTENGINE_LOAD_REPORT</c> names its JSON (tests/run.sh sets it; the page is beside
/// it), else a page made here from a small run.
/// </summary>
[Trait("Category", "Browser")]
public partial class BrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_run_page_renders_in_a_headless_browser_with_the_runs_numbers()
    {
        var (json, html, own) = await PageAsync();
        var png = Runs.TempPath(".png");
        try
        {
            var run = RunDocument.Load(json);
            var (dom, console) = Chromium.DumpDom(html);

            // The script ran to its end without an error (it sets the marker last; an error handler
            // would have written the message instead), and nothing was thrown or logged as uncaught.
            Assert.Contains("data-rendered=\"ok\"", dom, StringComparison.Ordinal);
            Assert.DoesNotContain(console, l => l.Contains("Uncaught", StringComparison.Ordinal));
            Assert.Contains($"data-intervals=\"{run.Timeline.Count}\"", dom, StringComparison.Ordinal);

            // The charts carry the run's numbers: one point per interval of the JSON's timeline, and
            // the throughput chart's peak is the JSON's highest rate.
            var chart = ThroughputChart().Match(dom);
            Assert.True(chart.Success, "no throughput chart in the rendered page");
            Assert.Equal(run.Timeline.Count, int.Parse(chart.Groups["points"].Value, CultureInfo.InvariantCulture));
            var peak = run.Timeline.Max(p => Math.Max(p.OperationsPerSecond, p.BookingsPerSecond));
            Assert.Equal(peak, double.Parse(chart.Groups["peak"].Value, CultureInfo.InvariantCulture), 0.01);
            Assert.Contains($"{Format.Count(run.Bookings)} bookings", dom, StringComparison.Ordinal);
            Assert.Contains("id=\"chart-p99\"", dom, StringComparison.Ordinal);
            Assert.Contains("id=\"chart-percentiles\"", dom, StringComparison.Ordinal);

            Chromium.Screenshot(html, png);
            var bytes = File.ReadAllBytes(png);
            Assert.True(bytes.Length > 10_000, $"screenshot of {bytes.Length} bytes");
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            output.WriteLine($"{html}: {run.Timeline.Count} intervals; screenshot {bytes.Length / 1024.0:N0} KiB");
        }
        finally
        {
            File.Delete(png);
            if (own)
            {
                File.Delete(json);
                File.Delete(html);
            }
        }
    }

    [Fact]
    public async Task The_comparison_page_renders_in_a_headless_browser()
    {
        var result = await Runs.OneAndAHalfSeconds;
        var a = RunDocument.Parse(JsonReport.ToBytes(result), "a.json");
        var b = RunDocument.Parse(JsonReport.ToBytes(result with { ElapsedSeconds = result.ElapsedSeconds / 2 }), "b.json");
        var html = Runs.TempPath(".html");
        try
        {
            CompareReport.WriteHtml(html, a, b, Comparison.Compare(a, b));
            var (dom, console) = Chromium.DumpDom(html);
            Assert.Contains("data-rendered=\"ok\"", dom, StringComparison.Ordinal);
            Assert.DoesNotContain(console, l => l.Contains("Uncaught", StringComparison.Ordinal));
            Assert.Contains("id=\"comparison\"", dom, StringComparison.Ordinal);
            Assert.Contains(">2.00<", dom, StringComparison.Ordinal); // bookings/s doubled: B/A
        }
        finally
        {
            File.Delete(html);
        }
    }

    [Fact]
    public void A_script_error_is_seen_so_the_checks_above_mean_something()
    {
        var html = Runs.TempPath(".html");
        try
        {
            // The page's own frame and script, with a throwing line before the script's marker.
            File.WriteAllText(html, HtmlReport.Page("broken", "<p>broken</p>", "{\"runs\":[]}").Replace("var root = document.documentElement;", "var root = document.documentElement; null.x = 1;", StringComparison.Ordinal));
            var (dom, console) = Chromium.DumpDom(html);
            Assert.DoesNotContain("data-rendered=\"ok\"", dom, StringComparison.Ordinal);
            Assert.Contains(console, l => l.Contains("Uncaught", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(html);
        }
    }

    private static async Task<(string Json, string Html, bool Own)> PageAsync()
    {
        if (Environment.GetEnvironmentVariable("SLOTENGINE_LOAD_REPORT") is { Length: > 0 } report)
        {
            return (report, Path.ChangeExtension(report, ".html"), false);
        }

        var result = await Runs.OneAndAHalfSeconds;
        var json = Runs.TempPath(".json");
        var html = Path.ChangeExtension(json, ".html");
        var bytes = JsonReport.ToBytes(result);
        File.WriteAllBytes(json, bytes);
        HtmlReport.Write(html, RunDocument.Parse(bytes, Path.GetFileName(json)));
        return (json, html, true);
    }

    [GeneratedRegex(""""<svg id="chart-throughput"[^>]*data-points="(?<points>\d+)" data-peak="(?<peak>[0-9.]+)"""")]
    private static partial Regex ThroughputChart();
}
