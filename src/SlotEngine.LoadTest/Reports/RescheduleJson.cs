using System.Text.Json;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>The reschedule fields of the JSON report (see docs/load-generator.md, "Reschedules").</summary>
internal static class RescheduleJson
{
    public static void Write(Utf8JsonWriter json, RescheduleTotals totals)
    {
        json.WriteNumber("reschedules", totals.Reschedules);
        json.WriteNumber("reschedules_refused", totals.Refused);
        json.WriteNumber("reschedule_errors", totals.Errors);
        json.WriteNumber("reschedule_half_done", totals.HalfDone);
    }
}
