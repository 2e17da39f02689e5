using System.Globalization;
using System.Text;
using Spectre.Console;

namespace SlotEngine.LoadTest.Reports;

/// <summary>Two runs side by side: on the console and as a self-contained page.</summary>
internal static class CompareReport
{
    /// <summary>One line on how changes are judged (console and page).</summary>
    public static readonly string Method =
        $"Marked: a change beyond the runs' own noise, judged from each run's timeline: the per-interval values' means differ by more than {Comparison.K:0} combined standard errors (z > {Comparison.K:0}). Maxima, p99.9 and whole-run counts are shown with their ratio but not judged.";

    /// <summary>Writes the comparison to the console.</summary>
    /// <param name="console">The console.</param>
    /// <param name="a">Run A (baseline).</param>
    /// <param name="b">Run B.</param>
    /// <param name="rows">The compared figures.</param>
    public static void Write(IAnsiConsole console, RunDocument a, RunDocument b, IReadOnlyList<ComparedFigure> rows)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(rows);
        console.MarkupLine($"[bold]A[/] {Markup.Escape(a.Source)}: {Markup.Escape(HtmlReport.Subtitle(a))}");
        console.MarkupLine($"[bold]B[/] {Markup.Escape(b.Source)}: {Markup.Escape(HtmlReport.Subtitle(b))}");
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]B against A[/]");
        table.AddColumn("group");
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("A").RightAligned());
        table.AddColumn(new TableColumn("B").RightAligned());
        table.AddColumn(new TableColumn("B/A").RightAligned());
        table.AddColumn("change");
        string? group = null;
        foreach (var row in rows)
        {
            var color = row.Verdict switch
            {
                Verdict.Better => "green",
                Verdict.Worse or Verdict.Broken => "red",
                _ => "grey",
            };
            table.AddRow(
                row.Group == group ? "" : Markup.Escape(row.Group),
                Markup.Escape(row.Name),
                Markup.Escape(Value(row.A, row.Unit)),
                Markup.Escape(Value(row.B, row.Unit)),
                Markup.Escape(Ratio(row)),
                $"[{color}]{Markup.Escape(Label(row.Verdict))}[/]");
            group = row.Group;
        }

        console.Write(table);
        console.WriteLine(Method);
        var worse = rows.Count(r => r.Verdict is Verdict.Worse or Verdict.Broken);
        var better = rows.Count(r => r.Verdict == Verdict.Better);
        console.MarkupLine($"Beyond noise: [green]{better} better[/], [red]{worse} worse[/]; {rows.Count(r => r.Verdict == Verdict.WithinNoise)} within noise, {rows.Count(r => r.Verdict == Verdict.NotJudged)} not judged.");
    }

    /// <summary>Writes the comparison page.</summary>
    /// <param name="path">The HTML file.</param>
    /// <param name="a">Run A.</param>
    /// <param name="b">Run B.</param>
    /// <param name="rows">The compared figures.</param>
    public static void WriteHtml(string path, RunDocument a, RunDocument b, IReadOnlyList<ComparedFigure> rows) =>
        File.WriteAllText(path, RenderHtml(a, b, rows), new UTF8Encoding(false));

    /// <summary>Renders the comparison page.</summary>
    /// <param name="a">Run A.</param>
    /// <param name="b">Run B.</param>
    /// <param name="rows">The compared figures.</param>
    /// <returns>The HTML.</returns>
    public static string RenderHtml(RunDocument a, RunDocument b, IReadOnlyList<ComparedFigure> rows)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(rows);
        var E = (Func<string, string>)HtmlReport.E;
        var body = new StringBuilder();
        var title = $"slotengine-load: {b.Source} against {a.Source}";
        body.Append(CultureInfo.InvariantCulture, $"<header><h1>{E(title)}</h1><p class=\"sub\"><b>A</b> (dashed) {E(a.Source)}: {E(HtmlReport.Subtitle(a))}<br><b>B</b> (solid) {E(b.Source)}: {E(HtmlReport.Subtitle(b))}</p></header>\n");
        var worse = rows.Where(r => r.Verdict is Verdict.Worse or Verdict.Broken).ToList();
        var better = rows.Where(r => r.Verdict == Verdict.Better).ToList();
        body.Append("<section class=\"glance\"><h2>At a glance</h2><ul>\n");
        var bookings = rows.First(r => r.Name == "bookings/s");
        body.Append(CultureInfo.InvariantCulture, $"<li><b>bookings/s</b>: {Value(bookings.A, "rate")} → {Value(bookings.B, "rate")} (<b>×{Ratio(bookings)}</b>, {Label(bookings.Verdict)}).</li>\n");
        body.Append(CultureInfo.InvariantCulture, $"<li><b>Beyond noise:</b> <span class=\"ok\">{better.Count} better</span>{(better.Count > 0 ? " (" + E(string.Join(", ", better.Select(r => $"{r.Group} {r.Name} ×{Ratio(r)}"))) + ")" : "")}; <span class=\"{(worse.Count > 0 ? "bad" : "ok")}\">{worse.Count} worse</span>{(worse.Count > 0 ? " (" + E(string.Join(", ", worse.Select(r => $"{r.Group} {r.Name} ×{Ratio(r)}"))) + ")" : "")}.</li>\n");
        body.Append(CultureInfo.InvariantCulture, $"<li><b>Invariants</b>: A {(a.DoubleBookings == 0 && a.InvariantViolations == 0 ? "<span class=\"ok\">held</span>" : "<span class=\"bad\">BROKEN</span>")}, B {(b.DoubleBookings == 0 && b.InvariantViolations == 0 ? "<span class=\"ok\">held</span>" : "<span class=\"bad\">BROKEN</span>")}.</li>\n");
        body.Append(CultureInfo.InvariantCulture, $"<li class=\"note\">{E(Method)}</li>\n</ul></section>\n");

        body.Append("<section><h2>Every figure</h2><table id=\"comparison\"><thead><tr><th>group</th><th class=\"l\">figure</th><th>A</th><th>B</th><th>B/A</th><th class=\"l\">change</th></tr></thead><tbody>\n");
        string? group = null;
        foreach (var r in rows)
        {
            var css = r.Verdict switch
            {
                Verdict.Better => "beyond-better",
                Verdict.Worse or Verdict.Broken => "beyond-worse",
                _ => "",
            };
            body.Append(CultureInfo.InvariantCulture, $"<tr class=\"{css}\" data-verdict=\"{r.Verdict}\"><td>{(r.Group == group ? "" : E(r.Group))}</td><td class=\"l\">{E(r.Name)}</td><td>{E(Value(r.A, r.Unit))}</td><td>{E(Value(r.B, r.Unit))}</td><td>{E(Ratio(r))}</td><td class=\"l\" title=\"{E(r.Why)}\">{E(Label(r.Verdict))}</td></tr>\n");
            group = r.Group;
        }

        body.Append("</tbody></table><p class=\"note\">Hover a change for how it was judged (the per-interval means, their standard errors and z).</p></section>\n");

        var end = Math.Max(HtmlReport.TimelineEnd(a), HtmlReport.TimelineEnd(b));
        var marks = new TimeMarks(HtmlCharts.RushSpans(b.Timeline), []);
        body.Append("<section><h2>Over time</h2><p class=\"note\">A dashed, B solid; B's rush shaded.</p><h3>Bookings per second</h3>\n");
        body.Append(HtmlCharts.TimeChart("chart-throughput", end, [
            new ChartSeries("A bookings/s", "#7f7f7f", Mid(a, p => p.BookingsPerSecond), Dashed: true),
            new ChartSeries("B bookings/s", "#1f77b4", Mid(b, p => p.BookingsPerSecond), Width: 2.2),
        ], logY: false, marks, Format.Compact));
        body.Append("<h3>p99 latency per interval (A dashed, B solid)</h3><div class=\"grid2\">\n");
        foreach (var op in RunDocument.OperationOrder)
        {
            var color = HtmlReport.OperationColor(op);
            body.Append(CultureInfo.InvariantCulture, $"<figure><figcaption>{E(op)}</figcaption>\n");
            body.Append(HtmlCharts.TimeChart("chart-p99-" + op, end, [
                new ChartSeries("A", "#7f7f7f", Mid(a, p => P99(p, op)), Dashed: true),
                new ChartSeries("B", color, Mid(b, p => P99(p, op)), Width: 2),
            ], logY: true, marks, Format.Micros, height: 170, width: 460));
            body.Append("</figure>\n");
        }

        body.Append("</div></section>\n<section><h2>Latency by percentile, whole run</h2>\n");
        var curves = new List<(string, string, bool, IReadOnlyList<(double, double)>)>();
        foreach (var op in RunDocument.OperationOrder)
        {
            curves.Add(($"A {op}", HtmlReport.OperationColor(op), true, a.Operation(op)?.Curve ?? []));
            curves.Add(($"B {op}", HtmlReport.OperationColor(op), false, b.Operation(op)?.Curve ?? []));
        }

        body.Append(HtmlCharts.PercentileChart("chart-percentiles", curves));
        body.Append("</section>\n");
        return HtmlReport.Page(title, body.ToString(), HtmlReport.TimelineData([("A", a), ("B", b)]));
    }

    /// <summary>The verdict's label.</summary>
    /// <param name="verdict">The verdict.</param>
    /// <returns>Text.</returns>
    public static string Label(Verdict verdict) => verdict switch
    {
        Verdict.Better => "▲ better, beyond noise",
        Verdict.Worse => "▼ worse, beyond noise",
        Verdict.WithinNoise => "within noise",
        Verdict.Broken => "✖ BROKEN",
        _ => "not judged",
    };

    /// <summary>The ratio B/A as text.</summary>
    /// <param name="row">The figure.</param>
    /// <returns>Text.</returns>
    public static string Ratio(ComparedFigure row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return row.Ratio is { } r ? r.ToString(r >= 100 ? "0" : r >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture) : "new";
    }

    private static string Value(double value, string unit) => unit switch
    {
        "us" => Format.Micros(value),
        "rate" => Format.Count(value) + "/s",
        "count" => Format.Count(value),
        "percent" => (value * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %",
        _ => Format.Number(value),
    };

    private static double P99(TimelineRecord p, string op) =>
        p.Latency.TryGetValue(op, out var l) && l.Count > 0 ? l.P99 : double.NaN;

    private static List<(double X, double Y)> Mid(RunDocument run, Func<TimelineRecord, double> value) =>
        run.Timeline.Select(p => (p.T + (p.Seconds / 2), value(p))).ToList();
}
