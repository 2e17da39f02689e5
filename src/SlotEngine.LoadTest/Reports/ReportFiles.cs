using System.Diagnostics;
using System.Globalization;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// Writes a finished run's files: the JSON report, and beside it the SVG latency plot, the SVG of bookings and offers per second
/// over the rush (<c>NAME.rush.svg</c>) and one
/// HdrHistogram percentile file per operation (<c>NAME.search.hgrm</c>, …), and the web page
/// (<c>--html</c>, by default <c>NAME.html</c> beside the JSON). The page is drawn from the JSON's
/// bytes, so it shows exactly what the JSON says; the time it took is reported.
/// </summary>
internal static class ReportFiles
{
    /// <summary>Writes the files the settings ask for.</summary>
    /// <param name="settings">The run's settings.</param>
    /// <param name="result">The run's result.</param>
    /// <returns>One line per file group written, for the console.</returns>
    public static IReadOnlyList<string> Write(LoadSettings settings, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(result);
        var lines = new List<string>();
        if (settings.JsonPath is null && settings.HtmlPath is null)
        {
            return lines;
        }

        var json = JsonReport.ToBytes(result);
        if (settings.JsonPath is { } path)
        {
            File.WriteAllBytes(path, json);
            var svg = Path.ChangeExtension(path, ".svg");
            SvgPlot.Write(
                svg,
                $"SlotEngine latency by percentile: {Backends.Name(settings.Backend)}, {result.Stats.Bookings:N0} bookings at {result.BookingsPerSecond:N0}/s",
                $"{settings.Providers:N0} providers, {settings.DaysOpen} days, {settings.Concurrency} workers ({(settings.Rate is null ? "closed loop" : "open loop")}), seed {settings.Seed}; {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}",
                Enumerable.Range(0, OperationNames.Count).Select(i => (OperationNames.Name((Operation)i), result.Stats.Latency[i])).ToList());
            var rush = RushPlot.PathFor(path);
            RushPlot.Write(
                rush,
                $"SlotEngine bookings and waitlist offers per second: {Backends.Name(settings.Backend)}, {result.Stats.Bookings:N0} bookings, {result.Waitlist.OffersMade:N0} offers",
                $"{(settings.Rush ? $"release rush at {result.ScenarioTime.Start:HH:mm} in {RushScenario.Cohorts} cohorts {RushScenario.CohortSpacing.TotalSeconds:0} s apart (scenario time)" : "no rush (--no-rush)")}; {result.Timeline.Count} intervals; seed {settings.Seed}",
                result.Timeline,
                RushPlot.Marks(result));
            var hgrm = HgrmPaths(path);
            for (var i = 0; i < OperationNames.Count; i++)
            {
                result.Stats.Latency[i].WriteHgrm(hgrm[i]);
            }

            lines.Add($"Wrote {path}, {svg}, {rush} and {Path.ChangeExtension(path, null)}.{{{string.Join(",", Enumerable.Range(0, OperationNames.Count).Select(i => OperationNames.Name((Operation)i)))}}}.hgrm.");
        }

        if (settings.HtmlPath is { } html)
        {
            var watch = Stopwatch.StartNew();
            HtmlReport.Write(html, RunDocument.Parse(json, Path.GetFileName(settings.JsonPath ?? html)));
            watch.Stop();
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"Wrote {html} ({new FileInfo(html).Length / 1024.0:N0} KiB, {result.Timeline.Count} intervals, in {watch.Elapsed.TotalMilliseconds:N0} ms)."));
        }

        return lines;
    }

    /// <summary>The .hgrm file of each operation beside a JSON report.</summary>
    /// <param name="jsonPath">The JSON report's path.</param>
    /// <returns>Paths in <see cref="Operation"/> order.</returns>
    public static string[] HgrmPaths(string jsonPath) =>
        Enumerable.Range(0, OperationNames.Count).Select(i => Path.ChangeExtension(jsonPath, null) + "." + OperationNames.Name((Operation)i) + ".hgrm").ToArray();
}
