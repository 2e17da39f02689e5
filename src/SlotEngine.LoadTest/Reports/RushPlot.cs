using System.Globalization;
using System.Text;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>A vertical mark on the rush plot: the release's opening or a cohort's.</summary>
/// <param name="Seconds">Seconds from the start of the load.</param>
/// <param name="Label">The mark's label.</param>
internal readonly record struct RushMark(double Seconds, string Label);

/// <summary>
/// The second SVG beside the JSON report (<c>NAME.rush.svg</c>, issue 12): bookings per second and
/// waitlist offers per second over the run's timeline, one point per interval (at its middle), the
/// bookings on the left axis and the offers on the right one (offers are far fewer); the intervals
/// within the rush shaded, the release's opening and each cohort's opening marked. Self-contained:
/// no script, no external reference, no style sheet.
/// </summary>
internal static class RushPlot
{
    private const int Width = 960;
    private const int Height = 560;
    private const int Left = 90;
    private const int Right = 90;
    private const int Top = 84;
    private const int Bottom = 70;
    private const string BookingsColor = "#1f77b4";
    private const string OffersColor = "#ff7f0e";

    /// <summary>The plot's path beside a JSON report: <c>NAME.rush.svg</c>, named like the <c>.hgrm</c> files.</summary>
    /// <param name="jsonPath">The JSON report's path.</param>
    /// <returns>The SVG's path.</returns>
    public static string PathFor(string jsonPath) => Path.ChangeExtension(jsonPath, null) + ".rush.svg";

    /// <summary>
    /// The marks of a run with the rush: the release opens at the scenario's start (the opening
    /// hour), cohort <c>k</c> <see cref="RushScenario.CohortSpacing"/> × k later; each placed in the
    /// load's seconds by the scenario time the timeline recorded (interpolated within an interval).
    /// A mark past the timeline's end is left out. None without the rush.
    /// </summary>
    /// <param name="result">The run.</param>
    /// <returns>The marks, earliest first.</returns>
    public static IReadOnlyList<RushMark> Marks(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var marks = new List<RushMark>();
        if (!result.Settings.Rush)
        {
            return marks;
        }

        for (var c = 0; c < RushScenario.Cohorts; c++)
        {
            var at = result.ScenarioTime.Start + (RushScenario.CohortSpacing * c);
            if (RunSecondsAt(result.Timeline, result.ScenarioTime.Start, at) is { } seconds)
            {
                marks.Add(new RushMark(seconds, c == 0 ? string.Create(CultureInfo.InvariantCulture, $"opening {result.ScenarioTime.Start:HH:mm}, cohort 1") : string.Create(CultureInfo.InvariantCulture, $"cohort {c + 1}")));
            }
        }

        return marks;
    }

    /// <summary>Where in the load's seconds the scenario clock read <paramref name="at"/>, or null outside the timeline.</summary>
    /// <param name="timeline">The points.</param>
    /// <param name="start">Scenario time when the load started.</param>
    /// <param name="at">The scenario time sought.</param>
    /// <returns>Seconds from the start of the load.</returns>
    public static double? RunSecondsAt(IReadOnlyList<TimelinePoint> timeline, DateTimeOffset start, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        if (at < start)
        {
            return null;
        }

        var before = start;
        foreach (var p in timeline)
        {
            if (at <= p.ScenarioTime)
            {
                var span = (p.ScenarioTime - before).Ticks;
                var share = span > 0 ? Math.Clamp((double)(at - before).Ticks / span, 0, 1) : 0;
                return p.StartSeconds + (share * p.Seconds);
            }

            before = p.ScenarioTime;
        }

        return null;
    }

    /// <summary>Writes the plot.</summary>
    /// <param name="path">The SVG file.</param>
    /// <param name="title">The title line.</param>
    /// <param name="subtitle">A smaller second line.</param>
    /// <param name="timeline">The run's intervals.</param>
    /// <param name="marks">Openings to mark.</param>
    public static void Write(string path, string title, string subtitle, IReadOnlyList<TimelinePoint> timeline, IReadOnlyList<RushMark> marks)
    {
        File.WriteAllText(path, Render(title, subtitle, timeline, marks), new UTF8Encoding(false));
    }

    /// <summary>Renders the plot.</summary>
    /// <param name="title">The title line.</param>
    /// <param name="subtitle">A smaller second line.</param>
    /// <param name="timeline">The run's intervals.</param>
    /// <param name="marks">Openings to mark.</param>
    /// <returns>The SVG text.</returns>
    public static string Render(string title, string subtitle, IReadOnlyList<TimelinePoint> timeline, IReadOnlyList<RushMark> marks)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(marks);
        var end = timeline.Count == 0 ? 1 : Math.Max(1e-3, timeline[^1].StartSeconds + timeline[^1].Seconds);
        var xStep = Axis(end, ticks: 10).Step;
        var xMax = end;
        var (bStep, bMax) = Axis(timeline.Count == 0 ? 0 : timeline.Max(p => p.BookingsPerSecond));
        var (oStep, oMax) = Axis(timeline.Count == 0 ? 0 : timeline.Max(p => p.OffersPerSecond));
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        double X(double seconds) => Left + (Math.Clamp(seconds / xMax, 0, 1) * plotW);
        double YB(double rate) => Top + plotH - (rate / bMax * plotH);
        double YO(double rate) => Top + plotH - (rate / oMax * plotH);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"Helvetica, Arial, sans-serif\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"28\" font-size=\"18\" font-weight=\"bold\" fill=\"#222\">{SvgPlot.Escape(title)}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"48\" font-size=\"12\" fill=\"#555\">{SvgPlot.Escape(subtitle)}</text>\n");

        // The rush's intervals, shaded.
        foreach (var p in timeline.Where(p => p.Rush))
        {
            var x1 = X(p.StartSeconds);
            var x2 = X(p.StartSeconds + p.Seconds);
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"rush\" x=\"{x1:0.##}\" y=\"{Top}\" width=\"{Math.Max(0, x2 - x1):0.##}\" height=\"{plotH}\" fill=\"#fff4e0\"/>\n");
        }

        // Grid and axes: seconds of load below, bookings/s left, offers/s right.
        for (var k = 0; k * xStep <= xMax * 1.0001; k++)
        {
            var s = k * xStep;
            var x = X(s);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Top + plotH}\" stroke=\"#e4e4e4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.#}\" y=\"{Top + plotH + 18}\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">{Number(s)}</text>\n");
        }

        for (var k = 0; k * bStep <= bMax + (bStep / 2); k++)
        {
            var y = YB(k * bStep);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + plotW}\" y2=\"{y:0.#}\" stroke=\"#e4e4e4\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" font-size=\"12\" text-anchor=\"end\" fill=\"{BookingsColor}\">{Number(k * bStep)}</text>\n");
        }

        for (var k = 0; k * oStep <= oMax + (oStep / 2); k++)
        {
            var y = YO(k * oStep);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + plotW + 8}\" y=\"{y + 4:0.#}\" font-size=\"12\" fill=\"{OffersColor}\">{Number(k * oStep)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#888\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 22}\" font-size=\"13\" text-anchor=\"middle\" fill=\"#222\">seconds from the start of the load (shaded: the rush)</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(24 {Top + (plotH / 2)}) rotate(-90)\" font-size=\"13\" text-anchor=\"middle\" fill=\"{BookingsColor}\">bookings per second</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate({Width - 20} {Top + (plotH / 2)}) rotate(90)\" font-size=\"13\" text-anchor=\"middle\" fill=\"{OffersColor}\">waitlist offers per second</text>\n");

        // Openings: the first labelled in full above the plot, the cohorts' short labels below it where they fit.
        var lastLabel = double.NegativeInfinity;
        for (var i = 0; i < marks.Count; i++)
        {
            var x = X(marks[i].Seconds);
            var first = i == 0;
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"mark\" x1=\"{x:0.##}\" y1=\"{Top}\" x2=\"{x:0.##}\" y2=\"{Top + plotH}\" stroke=\"{(first ? "#d62728" : "#999")}\" stroke-width=\"{(first ? 2 : 1)}\" stroke-dasharray=\"{(first ? "6 3" : "2 3")}\"/>\n");
            if (first)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.##}\" y=\"{Top - 20}\" font-size=\"11\" fill=\"#d62728\">{SvgPlot.Escape(marks[i].Label)}</text>\n");
            }
            else if (x - lastLabel >= 22)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x:0.##}\" y=\"{Top - 5}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">{SvgPlot.Escape(marks[i].Label.Replace("cohort ", "c", StringComparison.Ordinal))}</text>\n");
                lastLabel = x;
            }

            if (first)
            {
                lastLabel = x + 6;
            }
        }

        Series(svg, "bookings", BookingsColor, timeline, p => p.Bookings, p => p.BookingsPerSecond, X, YB);
        Series(svg, "offers", OffersColor, timeline, p => p.Offers, p => p.OffersPerSecond, X, YO);

        // Legend, inside the plot's top left corner.
        var lx = Left + 12;
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx - 6}\" y=\"{Top + 6}\" width=\"250\" height=\"44\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" y1=\"{Top + 20}\" x2=\"{lx + 24}\" y2=\"{Top + 20}\" stroke=\"{BookingsColor}\" stroke-width=\"3\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 30}\" y=\"{Top + 24}\" font-size=\"12\" fill=\"#222\">bookings/s (left), {timeline.Sum(p => p.Bookings):N0} in all</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{lx}\" y1=\"{Top + 38}\" x2=\"{lx + 24}\" y2=\"{Top + 38}\" stroke=\"{OffersColor}\" stroke-width=\"3\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 30}\" y=\"{Top + 42}\" font-size=\"12\" fill=\"#222\">offers/s (right), {timeline.Sum(p => p.Offers):N0} in all</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>One series: a polyline with a point per interval, carrying its interval count and total as data attributes.</summary>
    private static void Series(StringBuilder svg, string name, string color, IReadOnlyList<TimelinePoint> timeline, Func<TimelinePoint, long> count, Func<TimelinePoint, double> rate, Func<double, double> x, Func<double, double> y)
    {
        var points = new StringBuilder();
        foreach (var p in timeline)
        {
            points.Append(CultureInfo.InvariantCulture, $"{x(p.StartSeconds + (p.Seconds / 2)):0.##},{y(rate(p)):0.##} ");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<polyline data-series=\"{name}\" data-points=\"{timeline.Count}\" data-total=\"{timeline.Sum(count)}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points.ToString().TrimEnd()}\"/>\n");
    }

    /// <summary>A round tick step (1, 2 or 5 × 10ⁿ) for about <paramref name="ticks"/> ticks up to <paramref name="max"/>, and the axis's end (a whole number of steps).</summary>
    private static (double Step, double Max) Axis(double max, int ticks = 5)
    {
        if (!(max > 0) || !double.IsFinite(max))
        {
            return (1, 1);
        }

        var raw = max / ticks;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / magnitude) switch
        {
            <= 1 => magnitude,
            <= 2 => 2 * magnitude,
            <= 5 => 5 * magnitude,
            _ => 10 * magnitude,
        };
        return (step, Math.Ceiling(max / step) * step);
    }

    private static string Number(double value) => Math.Abs(value) >= 1000
        ? value.ToString("#,0", CultureInfo.InvariantCulture)
        : value.ToString("0.###", CultureInfo.InvariantCulture);
}
