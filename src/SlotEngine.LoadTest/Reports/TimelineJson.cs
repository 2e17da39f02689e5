using System.Text.Json;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// The report's <c>timeline</c>: one record per interval, so other tools can plot the run over
/// time. Each record: <c>t</c> (seconds from the start of the load), <c>seconds</c> (its length),
/// <c>bookings</c>, <c>bookings_per_second</c>, <c>offers</c> and <c>offers_per_second</c> (waitlist
/// offers made), <c>operations_per_second</c>, <c>latency_us</c>
/// (per operation <c>count</c>, <c>p50</c>, <c>p99</c>, <c>max</c>), <c>failures</c> (by reason,
/// only those that happened), <c>gc</c> (<c>gen0</c>, <c>gen1</c>, <c>gen2</c>, <c>pause_ms</c>),
/// <c>allocated_bytes</c>, <c>cpu_ms</c>, <c>progress</c>, <c>scenario_time</c>, <c>rush</c>, and one
/// object per further group a backend probe adds (e.g. <c>redis</c>).
/// </summary>
internal static class TimelineJson
{
    /// <summary>Writes the <c>timeline</c> array.</summary>
    /// <param name="json">The writer, inside the report's object.</param>
    /// <param name="timeline">The points.</param>
    public static void Write(Utf8JsonWriter json, IReadOnlyList<TimelinePoint> timeline)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(timeline);
        json.WriteStartArray("timeline");
        foreach (var p in timeline)
        {
            json.WriteStartObject();
            json.WriteNumber("t", Math.Round(p.StartSeconds, 3));
            json.WriteNumber("seconds", Math.Round(p.Seconds, 4));
            json.WriteNumber("bookings", p.Bookings);
            json.WriteNumber("bookings_per_second", Math.Round(p.BookingsPerSecond, 1));
            json.WriteNumber("offers", p.Offers);
            json.WriteNumber("offers_per_second", Math.Round(p.OffersPerSecond, 1));
            json.WriteNumber("operations_per_second", Math.Round(p.OperationsPerSecond, 1));
            json.WriteStartObject("latency_us");
            for (var op = 0; op < OperationNames.Count; op++)
            {
                var l = p.Latency[op];
                json.WriteStartObject(OperationNames.Name((Operation)op));
                json.WriteNumber("count", l.Count);
                json.WriteNumber("p50", Math.Round(l.P50Micros, 3));
                json.WriteNumber("p99", Math.Round(l.P99Micros, 3));
                json.WriteNumber("max", Math.Round(l.MaxMicros, 3));
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteStartObject("failures");
            for (var r = 0; r < p.Failures.Length; r++)
            {
                if (p.Failures[r] > 0)
                {
                    json.WriteNumber(OperationNames.Name((FailureReason)r), p.Failures[r]);
                }
            }

            json.WriteEndObject();
            json.WriteStartObject("gc");
            json.WriteNumber("gen0", p.Collections.Gen0);
            json.WriteNumber("gen1", p.Collections.Gen1);
            json.WriteNumber("gen2", p.Collections.Gen2);
            json.WriteNumber("pause_ms", Math.Round(p.GcPauseMillis, 3));
            json.WriteEndObject();
            json.WriteNumber("allocated_bytes", p.AllocatedBytes);
            json.WriteNumber("cpu_ms", Math.Round(p.CpuMillis, 2));
            json.WriteNumber("progress", Math.Round(p.Progress, 5));
            json.WriteString("scenario_time", p.ScenarioTime);
            json.WriteBoolean("rush", p.Rush);
            foreach (var (group, values) in p.Extras)
            {
                json.WriteStartObject(group);
                foreach (var (name, value) in values)
                {
                    json.WriteNumber(name, double.IsFinite(value) ? Math.Round(value, 3) : 0);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
