using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// The page's waitlist and rush parts (docs/load-generator.md, "The page"): a line at a glance, the offers per second
/// over time (a chart of their own: offers are far fewer than bookings, so on the bookings chart's axis they would lie
/// flat), and a table of the waitlist, sweeper and rush figures. Each part is empty when the report has no waitlist
/// (<c>--no-waitlist</c>, or a report from an older build).
/// </summary>
internal static class HtmlWaitlist
{
    /// <summary>The offers series' colour (as in the rush SVG).</summary>
    public const string OffersColor = "#d62728";

    /// <summary>Whether the report ran with the waitlist.</summary>
    /// <param name="run">The run.</param>
    /// <returns>True when on.</returns>
    public static bool IsOn(RunDocument run) =>
        run.Root.TryGetProperty("waitlist", out var w) && w.ValueKind == JsonValueKind.True;

    /// <summary>The waitlist's line at a glance: wishes, offers and their fate, latency against the goal, FIFO.</summary>
    /// <param name="run">The run.</param>
    /// <returns>An <c>li</c> element, or empty.</returns>
    public static string Glance(RunDocument run)
    {
        if (!IsOn(run))
        {
            return "";
        }

        var fifo = run.Get("fifo_violations");
        var p99 = run.Get("offer_latency", "p99");
        var goal = run.Backend == "redis" ? 50 : 10;
        var made = run.Get("offers_made");
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<li><b>Waitlist:</b> {Format.Count(run.Get("waitlist_registered"))} wishes registered, <b>{Format.Count(made)} offers made</b> ({Format.Count(run.Get("offers_accepted"))} accepted, {Format.Count(run.Get("offers_lapsed"))} lapsed");
        if (run.Has("offers_reoffered"))
        {
            sb.Append(CultureInfo.InvariantCulture, $", {Format.Count(run.Get("offers_reoffered"))} of them offers of a lapsed offer's seat, freed by the sweeper");
        }

        sb.Append(')');
        if (made > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; freed slot to offer p50 {Format.Number(run.Get("offer_latency", "p50"), 3)} ms, p99 <b>{Format.Number(p99, 3)} ms</b> (goal ≤ {goal} ms: {(p99 <= goal ? "<span class=\"ok\">met</span>" : "<span class=\"warn\">not met</span>")})");
        }

        sb.Append(CultureInfo.InvariantCulture, $"; FIFO violations {(fifo == 0 ? "<span class=\"ok\">0</span>" : $"<span class=\"bad\">{Format.Count(fifo)}</span>")}.</li>\n");
        return sb.ToString();
    }

    /// <summary>Waitlist offers per second over time, or empty.</summary>
    /// <param name="run">The run.</param>
    /// <param name="end">The time axis' end (seconds).</param>
    /// <param name="marks">The rush and GC marks.</param>
    /// <returns>A heading and the chart.</returns>
    public static string OffersChart(RunDocument run, double end, TimeMarks marks)
    {
        var t = run.Timeline;
        if (!IsOn(run) || t.Count == 0)
        {
            return "";
        }

        var total = t.Sum(p => p.Offers);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h3>Waitlist offers per second</h3>\n<p class=\"note\">Offers the engine made to waiting wishes ({Format.Count(total)} in all), one point per interval, on an axis of their own: they are far fewer than bookings.</p>\n");
        sb.Append(HtmlCharts.TimeChart("chart-offers", end, [
            new ChartSeries("offers/s", OffersColor, t.Select(p => (p.T + (p.Seconds / 2), p.OffersPerSecond)).ToList(), Width: 2),
        ], logY: false, marks, Format.Compact, height: 160));
        return sb.ToString();
    }

    /// <summary>The waitlist, sweeper and rush figures as a table, or empty.</summary>
    /// <param name="run">The run.</param>
    /// <returns>A section.</returns>
    public static string Table(RunDocument run)
    {
        var rush = run.Root.TryGetProperty("rush", out var r) && r.ValueKind == JsonValueKind.True;
        if (!IsOn(run) && !rush && !run.Has("sweeper"))
        {
            return "";
        }

        var sb = new StringBuilder("<section><h2>Waitlist, sweeper and rush</h2><table class=\"kv\" id=\"waitlist-table\"><tbody>\n");
        void Row(string key, string value, string? css = null) =>
            sb.Append(CultureInfo.InvariantCulture, $"<tr{(css is null ? "" : $" class=\"{css}\"")}><td>{HtmlCharts.Escape(key)}</td><td>{value}</td></tr>\n");
        string N(params string[] path) => Format.Count(run.Get(path));

        if (IsOn(run))
        {
            Row("waitlist_registered", N("waitlist_registered"));
            Row("offers_made", N("offers_made"));
            Row("offers_accepted", N("offers_accepted"));
            Row("offers_lapsed", N("offers_lapsed"));
            foreach (var field in new[] { "offers_lapsed_swept", "offers_reoffered" })
            {
                if (run.Has(field))
                {
                    Row(field, N(field));
                }
            }

            Row("offer_latency", $"p50 {Format.Number(run.Get("offer_latency", "p50"), 3)} ms, p99 {Format.Number(run.Get("offer_latency", "p99"), 3)} ms, max {Format.Number(run.Get("offer_latency", "max"), 3)} ms");
            Row("fifo_violations", N("fifo_violations"), run.Get("fifo_violations") == 0 ? "ok" : "bad");
        }

        if (run.Has("sweeper"))
        {
            Row("sweeper", $"{N("sweeper", "sweeps")} sweeps, one per {Format.Number(run.Get("sweeper", "every_seconds"))} s of scenario time; {N("sweeper", "holds_reclaimed")} expired holds and {N("sweeper", "unapproved_reclaimed")} unapproved bookings reclaimed; {Format.Number(run.Get("sweeper", "seconds"), 3)} s of sweeping");
        }

        if (rush)
        {
            Row("claims_refused_not_open", N("claims_refused_not_open"));
            Row("claims_refused_rate", N("claims_refused_rate"));
            Row("claims_refused_reserved", N("claims_refused_reserved"));
            Row("pool_claims", N("pool_claims"));
            Row("pool_violations", N("pool_violations"), run.Get("pool_violations") == 0 ? "ok" : "bad");
        }

        sb.Append("</tbody></table></section>\n");
        return sb.ToString();
    }
}
