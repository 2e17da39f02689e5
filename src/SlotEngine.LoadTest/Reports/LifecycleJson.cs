using System.Text.Json;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>The life-after-booking fields of the JSON report (see docs/load-generator.md).</summary>
internal static class LifecycleJson
{
    public static void Write(Utf8JsonWriter json, LifecycleTotals totals)
    {
        json.WriteBoolean("rules", totals.Enabled);
        json.WriteBoolean("lifecycle_mix", totals.Mix);
        if (!totals.Mix)
        {
            return;
        }

        json.WriteStartObject("bookings_by_channel");
        foreach (var (channel, count) in totals.BookingsByChannel)
        {
            json.WriteNumber(JsonNamingPolicy.SnakeCaseLower.ConvertName(channel.ToString()), count);
        }

        json.WriteEndObject();
        json.WriteNumber("bookings_on_behalf", totals.OnBehalf);
        json.WriteNumber("outcomes_recorded", totals.Outcomes);
        json.WriteNumber("claims_refused_call_limit", totals.RefusedCallLimit);
        json.WriteNumber("claims_refused_active_cap", totals.RefusedActiveCap);
        json.WriteNumber("citizens_told_at_cap", totals.ToldAtCap);
        json.WriteNumber("claims_refused_barred", totals.RefusedBarred);
        if (!totals.Enabled)
        {
            return; // --no-rules: the engine enforced no rule and wrote no audit
        }

        json.WriteNumber("no_shows", totals.NoShows);
        json.WriteNumber("bars_applied", totals.BarsApplied);
        json.WriteNumber("audit_records", totals.AuditRecords);
        json.WriteNumber("audit_replay_mismatches", totals.ReplayMismatches);
        json.WriteNumber("unapproved_released", totals.UnapprovedReleased);
        json.WriteNumber("unapproved_checked", totals.UnapprovedChecked);
        json.WriteNumber("rule_violations", totals.RuleViolations);
        json.WriteNumber("audit_check_seconds", Math.Round(totals.CheckSeconds, 3));
    }
}
