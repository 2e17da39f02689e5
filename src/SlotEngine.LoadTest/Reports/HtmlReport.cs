using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// The run as one self-contained web page (<c>--html</c>): no external script, font or style,
/// inline SVG and CSS, opens from disk and prints. Drawn from the JSON report (read back as a
/// <see cref="RunDocument"/>), so the page and the JSON never disagree. The charts are static SVG;
/// a small inline script only adds a hover read-out and marks the page as rendered
/// (<c>data-rendered="ok"</c> on the root element, which the browser test looks for).
/// </summary>
internal static class HtmlReport
{
    /// <summary>Colour per operation, in <see cref="RunDocument.OperationOrder"/>.</summary>
    public static readonly string[] OperationColors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"];

    /// <summary>Colours for failure reasons and further series.</summary>
    public static readonly string[] Palette = ["#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#1f77b4", "#2ca02c", "#9467bd", "#393b79"];

    /// <summary>Writes the page.</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="run">The run's report.</param>
    public static void Write(string path, RunDocument run) => File.WriteAllText(path, Render(run), new UTF8Encoding(false));

    /// <summary>Renders the page.</summary>
    /// <param name="run">The run's report.</param>
    /// <returns>The HTML.</returns>
    public static string Render(RunDocument run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var body = new StringBuilder();
        var title = $"slotengine-load: {run.Backend}, {Format.Count(run.Bookings)} bookings at {Format.Count(run.BookingsPerSecond)}/s";
        body.Append(CultureInfo.InvariantCulture, $"<header><h1>{E(title)}</h1><p class=\"sub\">{E(Subtitle(run))}</p></header>\n");
        body.Append(Glance(run));
        body.Append(OverTime(run));
        body.Append("<section><h2>Latency by percentile, whole run</h2><p class=\"note\">Each step to the right is one more nine; the line ends at the largest value. From the same HdrHistogram as the <code>.hgrm</code> files beside the JSON.</p>\n");
        body.Append(HtmlCharts.PercentileChart("chart-percentiles", run.Operations.Select((o, i) => (o.Name, OperationColor(o.Name), false, o.Curve)).ToList()));
        body.Append("</section>\n");
        body.Append(OperationsTable(run));
        body.Append(FailuresTable(run));
        body.Append(InvariantsTable(run));
        body.Append(HtmlWaitlist.Table(run));
        body.Append(CostsTable(run));
        body.Append(RunTable(run));
        return Page(title, body.ToString(), TimelineData([(run.Source, run)]));
    }

    /// <summary>The page frame: head with the inline style, the body, the data and the script.</summary>
    /// <param name="title">The title.</param>
    /// <param name="body">The body's HTML.</param>
    /// <param name="data">The hover read-out's data (JSON).</param>
    /// <returns>The HTML.</returns>
    public static string Page(string title, string body, string data) =>
        "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"no\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
        $"<title>{E(title)}</title>\n<style>\n{Css}</style>\n</head>\n<body>\n<main>\n{body}</main>\n<div id=\"tip\" class=\"tip\" hidden></div>\n" +
        $"<script type=\"application/json\" id=\"timeline-data\">{data.Replace("</", "<\\/", StringComparison.Ordinal)}</script>\n<script>\n{Script}</script>\n</body>\n</html>\n";

    /// <summary>The colour of an operation.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>A CSS colour.</returns>
    public static string OperationColor(string name)
    {
        var i = Array.IndexOf(RunDocument.OperationOrder, name);
        return i < 0 ? "#555" : OperationColors[i];
    }

    /// <summary>The end of a timeline in seconds.</summary>
    /// <param name="run">The run.</param>
    /// <returns>Seconds.</returns>
    public static double TimelineEnd(RunDocument run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Timeline.Count == 0 ? Math.Max(run.ElapsedSeconds, 1) : run.Timeline[^1].T + run.Timeline[^1].Seconds;
    }

    /// <summary>The marks of a run's timeline: rush spans and GC pauses.</summary>
    /// <param name="run">The run.</param>
    /// <returns>The marks.</returns>
    public static TimeMarks Marks(RunDocument run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new TimeMarks(HtmlCharts.RushSpans(run.Timeline), run.Timeline.Where(p => p.GcPauseMillis > 0.05).Select(p => (p.T + (p.Seconds / 2), p.GcPauseMillis)).ToList());
    }

    /// <summary>The data of the hover read-out: per run, per interval, the main figures.</summary>
    /// <param name="runs">Name and run.</param>
    /// <returns>JSON.</returns>
    public static string TimelineData(IReadOnlyList<(string Name, RunDocument Run)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartArray("runs");
            foreach (var (name, run) in runs)
            {
                var t = run.Timeline;
                json.WriteStartObject();
                json.WriteString("name", name);
                Array(json, "t", t.Select(p => p.T));
                Array(json, "s", t.Select(p => p.Seconds));
                Array(json, "bookings", t.Select(p => Math.Round(p.BookingsPerSecond)));
                Array(json, "ops", t.Select(p => Math.Round(p.OperationsPerSecond)));
                Array(json, "offers", t.Select(p => Math.Round(p.OffersPerSecond, 1)));
                Array(json, "failures", t.Select(p => (double)p.TotalFailures));
                Array(json, "gc", t.Select(p => Math.Round(p.GcPauseMillis, 1)));
                Array(json, "rush", t.Select(p => p.Rush ? 1.0 : 0));
                json.WriteStartObject("p99");
                foreach (var op in RunDocument.OperationOrder)
                {
                    Array(json, op, t.Select(p => p.Latency.TryGetValue(op, out var l) && l.Count > 0 ? Math.Round(l.P99, 2) : -1));
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());

        static void Array(Utf8JsonWriter json, string name, IEnumerable<double> values)
        {
            json.WriteStartArray(name);
            foreach (var v in values)
            {
                json.WriteNumberValue(Math.Round(v, 3));
            }

            json.WriteEndArray();
        }
    }

    /// <summary>HTML escape.</summary>
    /// <param name="text">Text.</param>
    /// <returns>Escaped.</returns>
    public static string E(string text) => HtmlCharts.Escape(text);

    /// <summary>The run's one-line description: scenario, load, machine.</summary>
    /// <param name="run">The run.</param>
    /// <returns>Text.</returns>
    public static string Subtitle(RunDocument run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var loop = run.GetText("settings", "loop") == "open" ? $"open loop at {Format.Count(run.Get("settings", "rate"))} citizens/s" : "closed loop";
        return $"{run.GetText("scenario")} scenario: {Format.Count(run.Get("settings", "providers"))} providers, {run.Get("settings", "days_open")} days, {run.Get("settings", "concurrency")} workers ({loop}), seed {run.Get("settings", "seed")} · {run.Get("machine", "cores")} cores, {run.GetText("machine", "runtime")}, {run.GetText("machine", "os")}";
    }

    private static string Glance(RunDocument run)
    {
        var t = run.Timeline;
        var sb = new StringBuilder("<section class=\"glance\"><h2>At a glance</h2><ul>\n");
        var mhrs = run.Get("mhrs_day_seconds");
        sb.Append(CultureInfo.InvariantCulture, $"<li><b>{Format.Count(run.Bookings)} bookings</b> in {Format.Number(run.ElapsedSeconds)} s of load = <b>{Format.Count(run.BookingsPerSecond)}/s</b>; MHRS's day (1.7 M bookings) at this rate: <b>{Format.Number(mhrs)} s</b> (goal ≤ 2 s: {(mhrs > 0 && mhrs <= 2 ? "<span class=\"ok\">met</span>" : "<span class=\"warn\">not met</span>")}).</li>\n");

        var rush = HtmlCharts.RushSpans(t);
        if (rush.Count > 0)
        {
            var (from, to) = rush[0];
            var inRush = t.Where(p => p.Rush).ToList();
            var after = t.Where(p => !p.Rush).ToList();
            sb.Append(CultureInfo.InvariantCulture, $"<li><b>The rush</b> (the first {run.Get("settings", "rush_share") * 100:0.#} % of the load, which the scenario crowds into the two minutes after the days are released; shaded on every chart) ran <b>from {from:0.##} s to {to:0.##} s</b>: {Format.Count(Mean(inRush.Select(p => p.BookingsPerSecond)))} bookings/s on average, against {Format.Count(Mean(after.Select(p => p.BookingsPerSecond)))}/s after it.</li>\n");
            foreach (var op in new[] { "booking", "hold", "search" })
            {
                var during = P99s(inRush, op);
                var later = P99s(after, op);
                if (during.Count == 0)
                {
                    continue;
                }

                var worst = inRush.Where(p => p.Latency.TryGetValue(op, out var l) && l.Count > 0).MaxBy(p => p.Latency[op].P99)!;
                sb.Append(CultureInfo.InvariantCulture, $"<li><b>p99 {E(op)}</b> during the rush: typically {Format.Micros(Median(during))}, worst {Format.Micros(worst.Latency[op].P99)} at {worst.T:0.##} s{(later.Count > 0 ? $"; after it typically {Format.Micros(Median(later))}, worst {Format.Micros(later.Max())}" : "")}.</li>\n");
            }
        }
        else if (t.Count == 0)
        {
            sb.Append("<li>This report has no timeline.</li>\n");
        }

        sb.Append(HtmlWaitlist.Glance(run));
        var failures = run.Operations.SelectMany(o => o.Failures).GroupBy(f => f.Reason).Select(g => (Reason: g.Key, Count: g.Sum(x => x.Count))).OrderByDescending(x => x.Count).ToList();
        var errors = failures.Where(f => f.Reason == "error").Sum(f => f.Count);
        sb.Append(CultureInfo.InvariantCulture, $"<li><b>Failures:</b> {(failures.Count == 0 ? "none" : $"{Format.Count(failures.Sum(f => f.Count))} ({string.Join(", ", failures.Select(f => $"{E(f.Reason)} {Format.Count(f.Count)}"))})")}. Taken, quota and cutoff refusals are expected outcomes of a contended, quota-limited system; {(errors == 0 ? "<span class=\"ok\">no engine errors</span>" : $"<span class=\"bad\">{Format.Count(errors)} engine errors</span>")}.</li>\n");

        var held = run.DoubleBookings == 0 && run.InvariantViolations == 0;
        sb.Append(CultureInfo.InvariantCulture, $"<li><b>Invariants:</b> {(held ? "<span class=\"ok\">held</span>" : "<span class=\"bad\">BROKEN</span>")}: {Format.Count(run.DoubleBookings)} double bookings, {Format.Count(run.InvariantViolations)} violations, the engine recounted against the generator's ledger.</li>\n");

        var gcCount = run.Get("gc", "gen0") + run.Get("gc", "gen1") + run.Get("gc", "gen2");
        var worstGc = t.Count == 0 ? null : t.MaxBy(p => p.GcPauseMillis);
        sb.Append(CultureInfo.InvariantCulture, $"<li><b>Garbage collector:</b> {Format.Count(gcCount)} collections ({run.Get("gc", "gen2")} gen2) paused the runtime {Format.Number(run.Get("gc", "paused_seconds"), 3)} s in total{(worstGc is { GcPauseMillis: > 0 } ? $"; the longest pause in one interval was {Format.Number(worstGc.GcPauseMillis, 1)} ms at {worstGc.T:0.##} s" : "")} (red marks on the time axis).</li>\n");
        sb.Append("</ul></section>\n");
        return sb.ToString();
    }

    private static string OverTime(RunDocument run)
    {
        var t = run.Timeline;
        if (t.Count == 0)
        {
            return "<section><h2>Over time</h2><p>This report has no timeline (written by an older build).</p></section>\n";
        }

        var end = TimelineEnd(run);
        var marks = Marks(run);
        var sb = new StringBuilder();
        var step = t.Count > 1 ? Median(t.Take(t.Count - 1).Select(p => p.Seconds).ToList()) : t[0].Seconds;
        sb.Append(CultureInfo.InvariantCulture, $"<section><h2>Over time</h2><p class=\"note\">{t.Count} intervals of about {step * 1000:0} ms, seconds since the load started. <span class=\"key rush-key\"></span> release rush · <span class=\"key gc-key\"></span> garbage-collection pause (hover a mark for its length). Hover a chart to read an interval.</p>\n");
        sb.Append("<h3>Throughput</h3>\n");
        sb.Append(HtmlCharts.TimeChart("chart-throughput", end, [
            new ChartSeries("operations/s", "#7f7f7f", Mid(t, p => p.OperationsPerSecond), Width: 1.4),
            new ChartSeries("bookings/s", "#1f77b4", Mid(t, p => p.BookingsPerSecond), Width: 2.2),
        ], logY: false, marks, Format.Compact));
        sb.Append(HtmlWaitlist.OffersChart(run, end, marks));

        sb.Append("<h3>p99 latency per interval, every operation</h3>\n");
        sb.Append(HtmlCharts.TimeChart("chart-p99", end, RunDocument.OperationOrder.Select(op => new ChartSeries(op, OperationColor(op), Mid(t, p => Latency(p, op).P99), Width: op == "booking" ? 2.4 : 1.6)).ToList(), logY: true, marks, Format.Micros, height: 220));
        sb.Append("<h3>Each operation: p50, p99 and max per interval</h3>\n<div class=\"grid2\">\n");
        foreach (var op in RunDocument.OperationOrder)
        {
            if (!t.Any(p => p.Latency.TryGetValue(op, out var l) && l.Count > 0))
            {
                continue;
            }

            var color = OperationColor(op);
            sb.Append(CultureInfo.InvariantCulture, $"<figure><figcaption>{E(op)}</figcaption>\n");
            sb.Append(HtmlCharts.TimeChart("chart-latency-" + op, end, [
                new ChartSeries("max", "#b0b0b0", Mid(t, p => Latency(p, op).Max), Dashed: true, Width: 1),
                new ChartSeries("p99", color, Mid(t, p => Latency(p, op).P99), Width: 2.2),
                new ChartSeries("p50", color, Mid(t, p => Latency(p, op).P50), Dashed: true, Width: 1.2),
            ], logY: true, marks, Format.Micros, height: 170, width: 460));
            sb.Append("</figure>\n");
        }

        sb.Append("</div>\n");

        var reasons = t.SelectMany(p => p.Failures.Keys).Distinct().OrderBy(r => r, StringComparer.Ordinal).ToList();
        sb.Append("<h3>Failures by reason, per second</h3>\n");
        if (reasons.Count == 0)
        {
            sb.Append("<p class=\"ok\">No failures in any interval.</p>\n");
        }
        else
        {
            sb.Append(HtmlCharts.TimeChart("chart-failures", end, reasons.Select((r, i) => new ChartSeries(r, r == "error" ? "#000" : Palette[i % Palette.Length], Mid(t, p => p.Failures.TryGetValue(r, out var c) && p.Seconds > 0 ? c / p.Seconds : 0), Width: r == "error" ? 2.5 : 1.6)).ToList(), logY: false, marks, Format.Compact));
        }

        sb.Append("<h3>Garbage collection: pause per interval (ms)</h3>\n");
        if (!t.Any(p => p.GcPauseMillis > 0))
        {
            sb.Append("<p class=\"ok\">No collection paused the runtime during the load.</p>\n");
        }
        else
        {
            sb.Append(HtmlCharts.TimeChart("chart-gc", end, [
            new ChartSeries("GC pause ms", "#d62728", t.Select(p => (p.T, p.GcPauseMillis)).ToList(), Bars: true),
        ], logY: false, new TimeMarks(marks.Rush, []), v => Format.Number(v, 1), height: 140));
        }

        // Series a backend probe added (e.g. redis: round trips/s, read-model staleness), only when present.
        foreach (var group in t.SelectMany(p => p.Extras.Keys).Distinct().OrderBy(g => g, StringComparer.Ordinal))
        {
            var names = t.SelectMany(p => p.Extras.TryGetValue(group, out var v) ? v.Keys : []).Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
            foreach (var kind in names.GroupBy(UnitOf))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<h3>{E(group)}: {E(string.Join(", ", kind))}</h3>\n");
                var series = kind.Select((n, i) => new ChartSeries(n, Palette[(i + 7) % Palette.Length], Mid(t, p => p.Extras.TryGetValue(group, out var v) && v.TryGetValue(n, out var x) ? x : double.NaN))).ToList();
                sb.Append(HtmlCharts.TimeChart($"chart-{group}-{kind.Key}", end, series, logY: false, marks, Format.Compact, height: 170));
            }
        }

        sb.Append("</section>\n");
        return sb.ToString();
    }

    private static string UnitOf(string name) =>
        name.EndsWith("_per_second", StringComparison.Ordinal) ? "rate" : name.EndsWith("_ms", StringComparison.Ordinal) ? "ms" : "value";

    private static (long Count, double P50, double P99, double Max) Latency(TimelineRecord p, string op) =>
        p.Latency.TryGetValue(op, out var l) && l.Count > 0 ? l : (0, double.NaN, double.NaN, double.NaN);

    private static List<(double X, double Y)> Mid(IReadOnlyList<TimelineRecord> t, Func<TimelineRecord, double> value) =>
        t.Select(p => (p.T + (p.Seconds / 2), value(p))).ToList();

    private static List<double> P99s(IEnumerable<TimelineRecord> points, string op) =>
        points.Where(p => p.Latency.TryGetValue(op, out var l) && l.Count > 0).Select(p => p.Latency[op].P99).ToList();

    /// <summary>The median of some values (0 for none).</summary>
    /// <param name="values">The values.</param>
    /// <returns>The median.</returns>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? 0 : list.Average();
    }

    private static string OperationsTable(RunDocument run)
    {
        var sb = new StringBuilder("<section><h2>Throughput and latency, whole run</h2><table><thead><tr><th>operation</th><th>count</th><th>per second</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead><tbody>\n");
        foreach (var o in run.Operations)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td><span class=\"swatch\" style=\"background:{OperationColor(o.Name)}\"></span>{E(o.Name)}</td><td>{Format.Count(o.Count)}</td><td>{Format.Count(o.PerSecond)}</td><td>{Format.Micros(o.P50)}</td><td>{Format.Micros(o.P90)}</td><td>{Format.Micros(o.P99)}</td><td>{Format.Micros(o.P999)}</td><td>{Format.Micros(o.Max)}</td></tr>\n");
        }

        sb.Append("</tbody></table><p class=\"note\">booking = one citizen's whole booking, first search to confirm, retries included (from the scheduled arrival in open loop).</p></section>\n");
        return sb.ToString();
    }

    private static string FailuresTable(RunDocument run)
    {
        var rows = run.Operations.SelectMany(o => o.Failures.Select(f => (o.Name, f.Reason, f.Count))).ToList();
        var sb = new StringBuilder("<section><h2>Failures by reason</h2>\n");
        if (rows.Count == 0)
        {
            sb.Append("<p class=\"ok\">None.</p></section>\n");
            return sb.ToString();
        }

        sb.Append("<table><thead><tr><th>operation</th><th class=\"l\">reason</th><th>count</th></tr></thead><tbody>\n");
        foreach (var (op, reason, count) in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr{(reason == "error" ? " class=\"bad\"" : "")}><td>{E(op)}</td><td class=\"l\">{E(reason)}</td><td>{Format.Count(count)}</td></tr>\n");
        }

        sb.Append("</tbody></table>\n");
        if (run.Root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            sb.Append("<p class=\"bad\">First errors:</p><ul>");
            foreach (var e in errors.EnumerateArray())
            {
                sb.Append(CultureInfo.InvariantCulture, $"<li><code>{E(e.GetString() ?? "")}</code></li>");
            }

            sb.Append("</ul>\n");
        }

        sb.Append("</section>\n");
        return sb.ToString();
    }

    private static string InvariantsTable(RunDocument run)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<section><h2>Invariants</h2><p class=\"note\">The engine recounted against the generator's ledger in {Format.Number(run.Get("check_seconds"))} s.</p><table class=\"kv\"><tbody>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>live bookings in the ledger</td><td>{Format.Count(run.Get("invariants", "ledger_bookings"))}</td></tr>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>booked seats in the engine</td><td>{Format.Count(run.Get("invariants", "engine_booked_seats"))} on {Format.Count(run.Get("invariants", "calendars_recounted"))} calendars recounted seat by seat</td></tr>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>untouched calendars wholly free</td><td>{Format.Count(run.Get("invariants", "calendars_checked_free"))} checked</td></tr>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(run.DoubleBookings == 0 ? "ok" : "bad")}\"><td>double_bookings</td><td>{Format.Count(run.DoubleBookings)}</td></tr>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"{(run.InvariantViolations == 0 ? "ok" : "bad")}\"><td>invariant_violations</td><td>{Format.Count(run.InvariantViolations)}</td></tr>\n");
        if (run.Root.TryGetProperty("invariants", out var inv) && inv.TryGetProperty("problems", out var problems) && problems.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in problems.EnumerateObject())
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"bad\"><td>&nbsp;&nbsp;{E(p.Name)}</td><td>{p.Value}</td></tr>\n");
            }
        }

        sb.Append("</tbody></table></section>\n");
        return sb.ToString();
    }

    private static string CostsTable(RunDocument run)
    {
        var sb = new StringBuilder("<section><h2>Cost per booking</h2><table class=\"kv\"><tbody>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>process CPU</td><td>{Format.Number(run.Get("cpu_us_per_booking"))} µs per booking ({Format.Number(run.Get("cpu_seconds"))} s of CPU in {Format.Number(run.ElapsedSeconds)} s of load on {run.Get("machine", "cores")} cores)</td></tr>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>allocated</td><td>{Format.Count(run.Get("gc", "allocated_bytes_per_booking"))} B per booking ({Format.Number(run.Get("gc", "allocated_bytes") / 1048576.0, 1)} MiB in all)</td></tr>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>garbage collector</td><td>{run.Get("gc", "gen0")} gen0, {run.Get("gc", "gen1")} gen1, {run.Get("gc", "gen2")} gen2; paused {Format.Number(run.Get("gc", "paused_seconds"), 3)} s; {E(run.GetText("gc", "mode"))}</td></tr>\n");
        if (run.Has("redis"))
        {
            foreach (var (label, path, unit) in new[] { ("Redis round trips", "round_trips_per_booking", "per booking"), ("Redis server CPU", "server_cpu_us_per_booking", "µs per booking"), ("reloads", "reloads_per_booking", "per booking") })
            {
                if (run.Has("redis", path))
                {
                    sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{label}</td><td>{Format.Number(run.Get("redis", path))} {unit}</td></tr>\n");
                }
            }
        }

        sb.Append("</tbody></table></section>\n");
        return sb.ToString();
    }

    private static string RunTable(RunDocument run)
    {
        var sb = new StringBuilder("<section><h2>The run</h2><table class=\"kv\"><tbody>\n");
        void Row(string k, string v) => sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(k)}</td><td>{E(v)}</td></tr>\n");
        Row("backend", run.Backend);
        Row("scenario", $"{run.GetText("scenario")}: {Format.Count(run.Get("settings", "providers"))} providers, {Format.Count(run.Get("settings", "clinics"))} clinics, {Format.Count(run.Get("settings", "facilities"))} facilities in 81 provinces; {run.Get("settings", "days_open")} days × slots of {run.Get("settings", "slot_minutes")} min ({Format.Count(run.Get("settings", "seats"))} seats); {Format.Count(run.Get("settings", "citizens"))} citizens; largest city-and-branch search {Format.Count(run.Get("settings", "largest_search_group"))} providers");
        Row("load", $"{run.GetText("settings", "loop")} loop, {run.Get("settings", "concurrency")} workers{(run.Has("settings", "rate") ? $", {Format.Count(run.Get("settings", "rate"))} citizens/s" : "")}, seed {run.Get("settings", "seed")}, rush share {run.Get("settings", "rush_share")}{(run.Has("settings", "bookings_target") ? $", target {Format.Count(run.Get("settings", "bookings_target"))} bookings" : "")}{(run.Has("settings", "duration_seconds") ? $", limit {run.Get("settings", "duration_seconds")} s" : "")}");
        Row("bookings", $"{Format.Count(run.Bookings)} in {Format.Number(run.ElapsedSeconds, 3)} s = {Format.Count(run.BookingsPerSecond)}/s; MHRS day at this rate {Format.Number(run.Get("mhrs_day_seconds"))} s");
        Row("citizens", $"{Format.Count(run.Get("citizens_arrived"))} arrived; {Format.Count(run.Get("walk_aways"))} walked away from a hold; {Format.Count(run.Get("cancelled"))} cancelled; {Format.Count(run.Get("cancels_not_yet_due"))} cancels not yet due; fill ratio {run.Get("fill_ratio") * 100:0.###} %");
        Row("scenario time", $"{run.GetText("scenario_start")} → {run.GetText("scenario_end")}");
        if (run.Root.TryGetProperty("setup", out var setup) && setup.ValueKind == JsonValueKind.Object)
        {
            Row("setup", $"{Format.Number(run.Get("setup_seconds"))} s ({string.Join(", ", setup.EnumerateObject().Select(s => $"{s.Name.Replace('_', ' ')} {s.Value} s"))})");
        }

        Row("machine", $"{run.Get("machine", "cores")} cores, {run.GetText("machine", "architecture")}, {run.GetText("machine", "os")}, {run.GetText("machine", "runtime")}");
        Row("exit code", $"{run.Get("exit_code")}{(run.Root.TryGetProperty("interrupted", out var i) && i.ValueKind == JsonValueKind.True ? " (interrupted)" : "")}");
        sb.Append("</tbody></table></section>\n");
        return sb.ToString();
    }

    /// <summary>The page's style: screen and print.</summary>
    public const string Css = """
        :root { color-scheme: light; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #222; background: #fff; }
        main { max-width: 980px; margin: 0 auto; padding: 16px 20px 40px; }
        h1 { font-size: 22px; margin: 8px 0 2px; }
        h2 { font-size: 18px; margin: 26px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
        h3 { font-size: 14px; margin: 16px 0 4px; color: #333; }
        .sub, .note { color: #666; font-size: 12.5px; margin: 2px 0 8px; }
        .glance ul { margin: 0; padding-left: 20px; }
        .glance li { margin: 3px 0; }
        .ok { color: #1a7f37; font-weight: 600; }
        .warn { color: #9a6700; font-weight: 600; }
        .bad { color: #cf222e; font-weight: 700; }
        .beyond-worse { background: #ffebe9; }
        .beyond-better { background: #dafbe1; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
        th, td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: right; vertical-align: top; }
        th:first-child, td:first-child, .l { text-align: left; }
        table.kv td { text-align: left; }
        table.kv td:first-child { width: 24%; color: #444; }
        thead th { background: #f6f8fa; font-weight: 600; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
        .chart { width: 100%; height: auto; display: block; }
        .chart .grid { stroke: #eee; }
        .chart .frame { fill: none; stroke: #999; }
        .chart .axis { font-size: 11px; fill: #555; }
        .chart .legend { font-size: 12px; fill: #222; }
        .chart .rush { fill: #ffd54f; opacity: 0.28; }
        .chart .rush-label { font-size: 10px; fill: #8a6d00; }
        .chart .gc line { stroke: #d62728; stroke-opacity: 0.35; }
        .chart .gc path { fill: #d62728; }
        .chart .cursor { stroke: #000; stroke-opacity: 0.35; }
        .grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; }
        figure { margin: 0; }
        figcaption { font-size: 12.5px; font-weight: 600; }
        .key { display: inline-block; width: 14px; height: 10px; vertical-align: middle; }
        .rush-key { background: rgba(255, 213, 79, 0.5); }
        .gc-key { background: #d62728; width: 3px; }
        .tip { position: fixed; pointer-events: none; background: rgba(255,255,255,0.96); border: 1px solid #aaa; border-radius: 4px; padding: 6px 8px; font-size: 12px; box-shadow: 0 2px 6px rgba(0,0,0,0.15); z-index: 10; white-space: nowrap; }
        code { font-size: 12px; }
        @media print {
          main { max-width: none; padding: 0; }
          .tip { display: none !important; }
          .glance, figure, svg, tr { break-inside: avoid; }
          h2, h3 { break-after: avoid; }
        }

        """;

    /// <summary>The page's only script: the hover read-out, then the rendered marker.</summary>
    public const string Script = """
        (function () {
          var root = document.documentElement;
          window.addEventListener('error', function (e) { root.setAttribute('data-rendered', 'error: ' + e.message); });
          var data = JSON.parse(document.getElementById('timeline-data').textContent);
          var tip = document.getElementById('tip');
          function indexAt(run, t) {
            for (var i = 0; i < run.t.length; i++) { if (t < run.t[i] + run.s[i]) return i; }
            return run.t.length - 1;
          }
          function us(v) { return v < 0 ? '-' : v < 1000 ? v.toFixed(v < 10 ? 2 : 1) + ' µs' : v < 1e6 ? (v / 1000).toFixed(2) + ' ms' : (v / 1e6).toFixed(2) + ' s'; }
          function n(v) { return Math.round(v).toLocaleString('en-US'); }
          var charts = document.querySelectorAll('svg.time-chart');
          charts.forEach(function (svg) {
            var left = +svg.getAttribute('data-left'), plotW = +svg.getAttribute('data-plot-width'), xMax = +svg.getAttribute('data-x-max');
            svg.addEventListener('mousemove', function (ev) {
              var box = svg.getBoundingClientRect();
              var vx = (ev.clientX - box.left) * (svg.viewBox.baseVal.width / box.width);
              var t = (vx - left) / plotW * xMax;
              if (t < 0 || t > xMax) { tip.hidden = true; return; }
              var html = '<b>' + t.toFixed(2) + ' s</b>';
              data.runs.forEach(function (run) {
                if (!run.t.length) return;
                var i = indexAt(run, t);
                html += '<br>' + (data.runs.length > 1 ? '<b>' + run.name + '</b> ' : '') + (run.rush[i] ? '(rush) ' : '') +
                  'bookings/s ' + n(run.bookings[i]) + ', ops/s ' + n(run.ops[i]) + (run.offers && run.offers[i] > 0 ? ', offers/s ' + run.offers[i] : '') + '<br>p99: ' +
                  Object.keys(run.p99).map(function (op) { return op + ' ' + us(run.p99[op][i]); }).join(', ') +
                  '<br>failures ' + n(run.failures[i]) + (run.gc[i] > 0 ? ', GC pause ' + run.gc[i] + ' ms' : '');
              });
              tip.innerHTML = html;
              tip.hidden = false;
              tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
              tip.style.top = (ev.clientY + 14) + 'px';
              charts.forEach(function (c) {
                var line = c.querySelector('.cursor');
                var x = +c.getAttribute('data-left') + t / +c.getAttribute('data-x-max') * +c.getAttribute('data-plot-width');
                line.setAttribute('x1', x); line.setAttribute('x2', x); line.setAttribute('visibility', 'visible');
              });
            });
            svg.addEventListener('mouseleave', function () {
              tip.hidden = true;
              charts.forEach(function (c) { c.querySelector('.cursor').setAttribute('visibility', 'hidden'); });
            });
          });
          root.setAttribute('data-rendered', 'ok');
          root.setAttribute('data-intervals', String(data.runs.length ? data.runs[0].t.length : 0));
        })();

        """;
}
