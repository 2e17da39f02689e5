using System.Globalization;
using System.Text;
using SlotEngine.LoadTest.Metrics;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// A latency-by-percentile plot as a hand-written SVG: one line per operation, the percentile
/// axis log-scaled (0, 90, 99, 99.9, 99.99, 99.999: equal steps in "nines"), latency on a log axis
/// in microseconds. Reads like HdrHistogram's plotter.
/// </summary>
internal static class SvgPlot
{
    private const int Width = 960;
    private const int Height = 560;
    private const int Left = 90;
    private const int Right = 190;
    private const int Top = 64;
    private const int Bottom = 70;
    private const double MaxNines = 5; // 99.999

    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    /// <summary>Writes the plot.</summary>
    /// <param name="path">The SVG file.</param>
    /// <param name="title">The title line.</param>
    /// <param name="subtitle">A smaller second line (scenario, machine).</param>
    /// <param name="series">Name and histogram (nanoseconds) per line; empty histograms are skipped.</param>
    public static void Write(string path, string title, string subtitle, IReadOnlyList<(string Name, LatencyHistogram Histogram)> series)
    {
        File.WriteAllText(path, Render(title, subtitle, series), new UTF8Encoding(false));
    }

    /// <summary>Renders the plot.</summary>
    /// <param name="title">The title line.</param>
    /// <param name="subtitle">A smaller second line.</param>
    /// <param name="series">Name and histogram per line.</param>
    /// <returns>The SVG text.</returns>
    public static string Render(string title, string subtitle, IReadOnlyList<(string Name, LatencyHistogram Histogram)> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var lines = series.Where(s => s.Histogram.TotalCount > 0).ToList();
        var lo = double.MaxValue;
        var hi = double.MinValue;
        foreach (var (_, h) in lines)
        {
            lo = Math.Min(lo, Math.Max(0.01, h.ValueAtPercentile(0) / 1000.0));
            hi = Math.Max(hi, Math.Max(0.01, h.Max / 1000.0));
        }

        if (lines.Count == 0)
        {
            lo = 1;
            hi = 10;
        }

        var yMin = Math.Floor(Math.Log10(lo));
        var yMax = Math.Max(yMin + 1, Math.Ceiling(Math.Log10(hi)));
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(double nines) => Left + (nines / MaxNines * plotW);
        double Y(double micros) => Top + plotH - ((Math.Log10(Math.Max(micros, Math.Pow(10, yMin))) - yMin) / (yMax - yMin) * plotH);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"#222\">{Escape(title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"48\" font-size=\"12\" fill=\"#555\">{Escape(subtitle)}</text>\n");

        // Horizontal grid: decades, with 2× and 5× minor lines.
        for (var decade = yMin; decade <= yMax; decade++)
        {
            var y = Y(Math.Pow(10, decade));
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#ccc\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">{FormatMicros(Math.Pow(10, decade))}</text>\n");
            if (decade < yMax)
            {
                foreach (var m in new[] { 2, 5 })
                {
                    var ym = Y(m * Math.Pow(10, decade));
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{ym:0.#}\" x2=\"{Left + plotW}\" y2=\"{ym:0.#}\" stroke=\"#eee\"/>\n");
                }
            }
        }

        // Vertical grid: 0, 90, 99, 99.9, 99.99, 99.999.
        string[] labels = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"];
        for (var n = 0; n <= MaxNines; n++)
        {
            var x = X(n);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Top + plotH}\" stroke=\"#ccc\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{Top + plotH + 18}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">{labels[n]}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#888\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 22}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">percentile (log scale: each step is one more nine)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(22 {Top + (plotH / 2)}) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">latency (log scale)</text>\n");

        for (var i = 0; i < lines.Count; i++)
        {
            var (name, h) = lines[i];
            var color = Colors[i % Colors.Length];
            var points = new StringBuilder();
            const int Steps = 250;
            for (var k = 0; k <= Steps; k++)
            {
                var nines = MaxNines * k / Steps;
                var percentile = 100 * (1 - Math.Pow(10, -nines));
                var micros = h.ValueAtPercentile(percentile) / 1000.0;
                points.Append(CultureInfo.InvariantCulture, $"{X(nines):0.##},{Y(micros):0.##} ");
            }

            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"/>\n");
            var ly = Top + 10 + (i * 44);
            var lx = Left + plotW + 16;
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" y1=\"{ly + 6}\" x2=\"{lx + 24}\" y2=\"{ly + 6}\" stroke=\"{color}\" stroke-width=\"3\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 30}\" y=\"{ly + 10}\" font-size=\"13\" fill=\"#222\">{Escape(name)}</text>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 30}\" y=\"{ly + 26}\" font-size=\"11\" fill=\"#666\">p99 {FormatMicros(h.ValueAtPercentile(99) / 1000.0)}, n={h.TotalCount:N0}</text>\n");
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string FormatMicros(double micros) => micros switch
    {
        < 1 => micros.ToString("0.##", CultureInfo.InvariantCulture) + " µs",
        < 1000 => micros.ToString("0.#", CultureInfo.InvariantCulture) + " µs",
        < 1_000_000 => (micros / 1000).ToString("0.##", CultureInfo.InvariantCulture) + " ms",
        _ => (micros / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + " s",
    };

    /// <summary>Escapes text for an SVG text node (also <see cref="RushPlot"/>'s).</summary>
    internal static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
