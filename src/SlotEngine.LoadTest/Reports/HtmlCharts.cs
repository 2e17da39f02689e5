using System.Globalization;
using System.Text;

namespace SlotEngine.LoadTest.Reports;

/// <summary>A line (or bars) on a chart; a NaN y leaves a gap.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Color">CSS colour.</param>
/// <param name="Points">(x, y) in data units, x ascending.</param>
/// <param name="Dashed">Dashed line (the baseline run in a comparison, or a max).</param>
/// <param name="Width">Stroke width.</param>
/// <param name="Bars">Drawn as bars from 0 (each as wide as the gap to the next x).</param>
internal sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false, double Width = 1.6, bool Bars = false);

/// <summary>What a time chart marks on its axis besides the series.</summary>
/// <param name="Rush">Spans of the release rush (seconds), shaded.</param>
/// <param name="GcPauses">(seconds, milliseconds paused) of intervals with a collection pause, marked in red.</param>
internal sealed record TimeMarks(IReadOnlyList<(double From, double To)> Rush, IReadOnlyList<(double X, double PauseMillis)> GcPauses)
{
    /// <summary>No marks.</summary>
    public static readonly TimeMarks None = new([], []);
}

/// <summary>
/// Hand-written inline SVG charts for the page: a time chart (seconds since the load started on
/// x, linear or log y, the rush shaded, GC pauses marked) and a latency-by-percentile chart.
/// Every number is formatted with the invariant culture; no script is needed to see them.
/// </summary>
internal static class HtmlCharts
{
    /// <summary>Chart width in SVG units (the page scales it to fit).</summary>
    public const int Width = 920;

    private const int Left = 74;
    private const int Right = 170;
    private const int Top = 14;
    private const int Bottom = 30;

    /// <summary>Draws a chart over time.</summary>
    /// <param name="id">Element id (the script and the tests find charts by it).</param>
    /// <param name="xMax">End of the x axis, seconds.</param>
    /// <param name="series">The lines.</param>
    /// <param name="logY">Log scale (latencies) instead of linear from 0.</param>
    /// <param name="marks">Rush and GC marks.</param>
    /// <param name="format">Formats a y value for the axis.</param>
    /// <param name="height">Height in SVG units.</param>
    /// <param name="width">Width in SVG units (a half-width chart has a narrower legend).</param>
    /// <returns>The SVG element.</returns>
    public static string TimeChart(string id, double xMax, IReadOnlyList<ChartSeries> series, bool logY, TimeMarks marks, Func<double, string> format, int height = 200, int width = Width)
    {
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(marks);
        ArgumentNullException.ThrowIfNull(format);
        xMax = xMax > 0 ? xMax : 1;
        var right = width < Width ? 62 : Right;
        var left = width < Width ? 56 : Left;
        var plotW = width - left - right;
        var plotH = height - Top - Bottom;
        var values = series.SelectMany(s => s.Points).Select(p => p.Y).Where(y => double.IsFinite(y) && (!logY || y > 0)).ToList();
        double yLo, yHi;
        if (logY)
        {
            yLo = values.Count == 0 ? 0 : Math.Floor(Math.Log10(values.Min()));
            yHi = values.Count == 0 ? 1 : Math.Max(yLo + 1, Math.Ceiling(Math.Log10(values.Max())));
        }
        else
        {
            yLo = 0;
            yHi = NiceCeiling(values.Count == 0 ? 1 : values.Max());
        }

        double X(double x) => left + (Math.Clamp(x / xMax, 0, 1) * plotW);
        double Y(double y)
        {
            var f = logY ? (Math.Log10(Math.Max(y, Math.Pow(10, yLo))) - yLo) / (yHi - yLo) : (y - yLo) / (yHi - yLo);
            return Top + plotH - (Math.Clamp(f, 0, 1) * plotH);
        }

        var peak = values.Count == 0 ? 0 : values.Max();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" class=\"chart time-chart\" viewBox=\"0 0 {width} {height}\" data-x-max=\"{xMax:0.###}\" data-left=\"{left}\" data-plot-width=\"{plotW}\" data-points=\"{series.Select(s => s.Points.Count).DefaultIfEmpty(0).Max()}\" data-peak=\"{peak:0.###}\" role=\"img\">\n");

        foreach (var (from, to) in marks.Rush)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"rush\" x=\"{X(from):0.#}\" y=\"{Top}\" width=\"{Math.Max(1, X(to) - X(from)):0.#}\" height=\"{plotH}\"><title>release rush: {from:0.##} s to {to:0.##} s</title></rect>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"rush-label\" x=\"{X(from) + 4:0.#}\" y=\"{Top + 11}\">rush</text>\n");
        }

        // Horizontal grid and y labels.
        if (logY)
        {
            for (var d = yLo; d <= yHi; d++)
            {
                var y = Y(Math.Pow(10, d));
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{left}\" y1=\"{y:0.#}\" x2=\"{left + plotW}\" y2=\"{y:0.#}\"/><text class=\"axis\" x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Escape(format(Math.Pow(10, d)))}</text>\n");
            }
        }
        else
        {
            for (var k = 0; k <= 4; k++)
            {
                var v = yHi * k / 4;
                var y = Y(v);
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{left}\" y1=\"{y:0.#}\" x2=\"{left + plotW}\" y2=\"{y:0.#}\"/><text class=\"axis\" x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Escape(format(v))}</text>\n");
            }
        }

        // Vertical grid: seconds.
        var step = NiceStep(xMax / (width < Width ? 4 : 8));
        for (var x = 0.0; x <= xMax + 1e-9; x += step)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{X(x):0.#}\" y1=\"{Top}\" x2=\"{X(x):0.#}\" y2=\"{Top + plotH}\"/><text class=\"axis\" x=\"{X(x):0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{FormatSeconds(x, step)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"frame\" x=\"{left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\"/>\n");

        foreach (var (x, pause) in marks.GcPauses)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<g class=\"gc\"><line x1=\"{X(x):0.#}\" y1=\"{Top}\" x2=\"{X(x):0.#}\" y2=\"{Top + plotH}\"/><path d=\"M{X(x) - 4:0.#},{Top + plotH + 6} L{X(x) + 4:0.#},{Top + plotH + 6} L{X(x):0.#},{Top + plotH}Z\"/><title>GC pause {pause:0.#} ms at {x:0.##} s</title></g>\n");
        }

        var legendY = Top + 4;
        foreach (var s in series)
        {
            if (s.Bars)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<g class=\"series\" data-series=\"{Escape(s.Name)}\" fill=\"{s.Color}\">");
                for (var i = 0; i < s.Points.Count; i++)
                {
                    var (x, y) = s.Points[i];
                    if (!double.IsFinite(y) || y <= 0)
                    {
                        continue;
                    }

                    var next = i + 1 < s.Points.Count ? s.Points[i + 1].X : xMax;
                    var w = Math.Max(1.5, X(next) - X(x) - 0.5);
                    svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(x):0.#}\" y=\"{Y(y):0.#}\" width=\"{w:0.#}\" height=\"{Top + plotH - Y(y):0.#}\"/>");
                }

                svg.Append("</g>\n");
            }
            else
            {
                var d = new StringBuilder();
                var pen = false;
                foreach (var (x, y) in s.Points)
                {
                    if (!double.IsFinite(y) || (logY && y <= 0))
                    {
                        pen = false;
                        continue;
                    }

                    d.Append(CultureInfo.InvariantCulture, $"{(pen ? 'L' : 'M')}{X(x):0.#},{Y(y):0.#}");
                    pen = true;
                }

                svg.Append(CultureInfo.InvariantCulture, $"<path class=\"series\" data-series=\"{Escape(s.Name)}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"{s.Width:0.#}\"{(s.Dashed ? " stroke-dasharray=\"5 3\"" : "")} d=\"{d}\"/>\n");
            }

            var (keyFrom, keyTo, textAt) = width < Width ? (6, 20, 24) : (12, 34, 40);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left + plotW + keyFrom}\" y1=\"{legendY + 5}\" x2=\"{left + plotW + keyTo}\" y2=\"{legendY + 5}\" stroke=\"{s.Color}\" stroke-width=\"{(s.Bars ? 6 : 2.5)}\"{(s.Dashed ? " stroke-dasharray=\"5 3\"" : "")}/><text class=\"legend\" x=\"{left + plotW + textAt}\" y=\"{legendY + 9}\">{Escape(s.Name)}</text>\n");
            legendY += width < Width ? 14 : 17;
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line class=\"cursor\" x1=\"0\" y1=\"{Top}\" x2=\"0\" y2=\"{Top + plotH}\" visibility=\"hidden\"/>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Draws latency by percentile: x in nines (0, 90, 99, 99.9, 99.99, 99.999 %), y log.</summary>
    /// <param name="id">Element id.</param>
    /// <param name="series">Curves as (percentile, µs) pairs.</param>
    /// <returns>The SVG element.</returns>
    public static string PercentileChart(string id, IReadOnlyList<(string Name, string Color, bool Dashed, IReadOnlyList<(double Percentile, double Micros)> Curve)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        const double MaxNines = 5;
        const int Height = 340;
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom - 8;
        var values = series.SelectMany(s => s.Curve).Select(c => c.Micros).Where(v => v > 0).ToList();
        var yLo = values.Count == 0 ? 0 : Math.Floor(Math.Log10(values.Min()));
        var yHi = values.Count == 0 ? 1 : Math.Max(yLo + 1, Math.Ceiling(Math.Log10(values.Max())));
        double X(double nines) => Left + (Math.Clamp(nines / MaxNines, 0, 1) * plotW);
        double Y(double us) => Top + plotH - (Math.Clamp((Math.Log10(Math.Max(us, Math.Pow(10, yLo))) - yLo) / (yHi - yLo), 0, 1) * plotH);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\">\n");
        for (var d = yLo; d <= yHi; d++)
        {
            var y = Y(Math.Pow(10, d));
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\"/><text class=\"axis\" x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Escape(Format.Micros(Math.Pow(10, d)))}</text>\n");
        }

        string[] labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"];
        for (var n = 0; n <= MaxNines; n++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{X(n):0.#}\" y1=\"{Top}\" x2=\"{X(n):0.#}\" y2=\"{Top + plotH}\"/><text class=\"axis\" x=\"{X(n):0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{labels[n]}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"frame\" x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"axis\" x=\"{Left + (plotW / 2)}\" y=\"{Height - 4}\" text-anchor=\"middle\">percentile (each step one more nine)</text>\n");
        var legendY = Top + 4;
        foreach (var (name, color, dashed, curve) in series)
        {
            if (curve.Count == 0)
            {
                continue;
            }

            var d = new StringBuilder();
            var first = true;
            foreach (var (percentile, micros) in curve)
            {
                var nines = percentile >= 100 ? MaxNines : Math.Min(MaxNines, -Math.Log10(1 - (percentile / 100)));
                d.Append(CultureInfo.InvariantCulture, $"{(first ? 'M' : 'L')}{X(nines):0.#},{Y(micros):0.#}");
                first = false;
                if (nines >= MaxNines)
                {
                    break;
                }
            }

            svg.Append(CultureInfo.InvariantCulture, $"<path class=\"series\" data-series=\"{Escape(name)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"5 3\"" : "")} d=\"{d}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left + plotW + 12}\" y1=\"{legendY + 5}\" x2=\"{Left + plotW + 34}\" y2=\"{legendY + 5}\" stroke=\"{color}\" stroke-width=\"2.5\"{(dashed ? " stroke-dasharray=\"5 3\"" : "")}/><text class=\"legend\" x=\"{Left + plotW + 40}\" y=\"{legendY + 9}\">{Escape(name)}</text>\n");
            legendY += 17;
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>HTML/XML escape.</summary>
    /// <param name="text">Text.</param>
    /// <returns>Escaped text.</returns>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
    }

    /// <summary>The spans of consecutive rush intervals.</summary>
    /// <param name="timeline">The timeline.</param>
    /// <returns>(from, to) in seconds.</returns>
    public static IReadOnlyList<(double From, double To)> RushSpans(IReadOnlyList<TimelineRecord> timeline)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        var spans = new List<(double, double)>();
        double? from = null;
        var to = 0.0;
        foreach (var p in timeline)
        {
            if (p.Rush)
            {
                from ??= p.T;
                to = p.T + p.Seconds;
            }
            else if (from is { } f)
            {
                spans.Add((f, to));
                from = null;
            }
        }

        if (from is { } last)
        {
            spans.Add((last, to));
        }

        return spans;
    }

    private static double NiceCeiling(double value)
    {
        if (value <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var m in new[] { 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10 })
        {
            if (m * magnitude >= value)
            {
                return m * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * magnitude >= raw)
            {
                return m * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string FormatSeconds(double x, double step) =>
        step < 1 ? x.ToString("0.##", CultureInfo.InvariantCulture) + " s"
        : x >= 120 && step >= 60 ? (x / 60).ToString("0.#", CultureInfo.InvariantCulture) + " min"
        : x.ToString("0", CultureInfo.InvariantCulture) + " s";
}

/// <summary>Number formats shared by the page and the comparison (invariant culture).</summary>
internal static class Format
{
    /// <summary>Microseconds as µs, ms or s.</summary>
    /// <param name="micros">The value.</param>
    /// <returns>Text.</returns>
    public static string Micros(double micros) => micros switch
    {
        < 1 => micros.ToString("0.##", CultureInfo.InvariantCulture) + " µs",
        < 10 => micros.ToString("0.0#", CultureInfo.InvariantCulture) + " µs",
        < 1000 => micros.ToString("0.#", CultureInfo.InvariantCulture) + " µs",
        < 1_000_000 => (micros / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " ms",
        _ => (micros / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + " s",
    };

    /// <summary>A whole number with thousands separators.</summary>
    /// <param name="value">The value.</param>
    /// <returns>Text.</returns>
    public static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A compact number (12.3k, 4.5M).</summary>
    /// <param name="value">The value.</param>
    /// <returns>Text.</returns>
    public static string Compact(double value) => Math.Abs(value) switch
    {
        >= 1e9 => (value / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (value / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (value / 1e3).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    /// <summary>A number with up to the given decimals.</summary>
    /// <param name="value">The value.</param>
    /// <param name="decimals">Decimals.</param>
    /// <returns>Text.</returns>
    public static string Number(double value, int decimals = 2) =>
        value.ToString(decimals <= 0 ? "N0" : "#,0." + new string('#', decimals), CultureInfo.InvariantCulture);
}
