using System.Text.Json;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>The waitlist fields of the JSON report (see docs/load-generator.md, "Waitlist").</summary>
internal static class WaitlistJson
{
    public static void Write(Utf8JsonWriter json, WaitlistTotals totals)
    {
        json.WriteBoolean("waitlist", totals.Enabled);
        if (!totals.Enabled)
        {
            return;
        }

        json.WriteNumber("waitlist_registered", totals.Registered);
        json.WriteNumber("offers_made", totals.OffersMade);
        json.WriteNumber("offers_accepted", totals.OffersAccepted);
        json.WriteNumber("offers_lapsed", totals.OffersLapsed);
        json.WriteNumber("offers_lapsed_swept", totals.LapsedSwept);
        json.WriteNumber("offers_reoffered", totals.Reoffered);
        json.WriteStartObject("offer_latency");
        var latency = totals.OfferLatency!;
        json.WriteNumber("p50", Math.Round(latency.ValueAtPercentile(50) / 1e6, 3));
        json.WriteNumber("p99", Math.Round(latency.ValueAtPercentile(99) / 1e6, 3));
        json.WriteNumber("max", Math.Round(latency.Max / 1e6, 3));
        json.WriteEndObject();
        json.WriteNumber("fifo_violations", totals.FifoViolations);
        if (totals.Sweeper is { } sweeper)
        {
            json.WriteStartObject("sweeper");
            json.WriteNumber("every_seconds", sweeper.Every.TotalSeconds);
            json.WriteNumber("sweeps", sweeper.Sweeps);
            json.WriteNumber("holds_reclaimed", sweeper.HoldsReclaimed);
            json.WriteNumber("unapproved_reclaimed", sweeper.UnapprovedReclaimed);
            json.WriteNumber("errors", sweeper.Errors);
            json.WriteNumber("seconds", Math.Round(sweeper.Elapsed.TotalSeconds, 3));
            json.WriteEndObject();
        }
    }
}
