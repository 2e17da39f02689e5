using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>The release rush, pools and admission fields of the JSON report (see docs/load-generator.md).</summary>
internal static class RushJson
{
    public static void Write(System.Text.Json.Utf8JsonWriter json, RushTotals totals)
    {
        json.WriteBoolean("rush", totals.Enabled);
        if (!totals.Enabled)
        {
            return;
        }

        json.WriteNumber("claims_refused_not_open", totals.RefusedNotOpen);
        json.WriteNumber("claims_refused_rate", totals.RefusedRate);
        json.WriteNumber("claims_refused_reserved", totals.RefusedReserved);
        json.WriteNumber("pool_claims", totals.PoolClaims);
        json.WriteNumber("pool_violations", totals.PoolViolations);
    }
}
