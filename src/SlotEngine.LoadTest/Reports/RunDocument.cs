using System.Text.Json;

namespace SlotEngine.LoadTest.Reports;

/// <summary>One operation's whole-run figures, as the JSON report has them (microseconds).</summary>
/// <param name="Name">search, hold, confirm, cancel or booking.</param>
/// <param name="Count">How many finished.</param>
/// <param name="PerSecond">Per second of load.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="P99">99th percentile.</param>
/// <param name="P999">99.9th percentile.</param>
/// <param name="Max">Largest.</param>
/// <param name="Failures">Failures by reason.</param>
/// <param name="Curve">Latency by percentile: (percentile, µs), ascending.</param>
internal sealed record OperationFigures(
    string Name,
    long Count,
    double PerSecond,
    double P50,
    double P90,
    double P99,
    double P999,
    double Max,
    IReadOnlyList<(string Reason, long Count)> Failures,
    IReadOnlyList<(double Percentile, double Micros)> Curve);

/// <summary>One interval of a report's <c>timeline</c>.</summary>
internal sealed record TimelineRecord
{
    /// <summary>Seconds from the start of the load.</summary>
    public double T { get; init; }

    /// <summary>The interval's length in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>Bookings in the interval.</summary>
    public long Bookings { get; init; }

    /// <summary>Bookings per second.</summary>
    public double BookingsPerSecond { get; init; }

    /// <summary>Engine operations per second.</summary>
    public double OperationsPerSecond { get; init; }

    /// <summary>Waitlist offers the engine made in the interval (0 without the waitlist or in older reports).</summary>
    public long Offers { get; init; }

    /// <summary>Waitlist offers per second.</summary>
    public double OffersPerSecond { get; init; }

    /// <summary>Per operation name: (count, p50, p99, max) in µs.</summary>
    public IReadOnlyDictionary<string, (long Count, double P50, double P99, double Max)> Latency { get; init; } = new Dictionary<string, (long, double, double, double)>();

    /// <summary>Failures by reason in the interval.</summary>
    public IReadOnlyDictionary<string, long> Failures { get; init; } = new Dictionary<string, long>();

    /// <summary>Collections ended in the interval (all generations).</summary>
    public int Collections { get; init; }

    /// <summary>Gen2 collections in the interval.</summary>
    public int Gen2 { get; init; }

    /// <summary>GC pause in milliseconds.</summary>
    public double GcPauseMillis { get; init; }

    /// <summary>Bytes allocated.</summary>
    public long AllocatedBytes { get; init; }

    /// <summary>Process CPU milliseconds.</summary>
    public double CpuMillis { get; init; }

    /// <summary>Whether the interval was in the release rush.</summary>
    public bool Rush { get; init; }

    /// <summary>Further groups of series (e.g. <c>redis</c>) by name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Extras { get; init; } = new Dictionary<string, IReadOnlyDictionary<string, double>>();

    /// <summary>Failures of every reason in the interval.</summary>
    public long TotalFailures => Failures.Values.Sum();
}

/// <summary>
/// A JSON report read back: what the page and the comparison draw. Tolerant of reports from
/// older builds (a missing field reads as 0 or empty, a missing timeline as none), so a new
/// build can be compared with an old run.
/// </summary>
internal sealed class RunDocument
{
    /// <summary>The operations in report order.</summary>
    public static readonly string[] OperationOrder = ["search", "hold", "confirm", "cancel", "booking"];

    private RunDocument(JsonElement root, string source)
    {
        Root = root;
        Source = source;
        var operations = new List<OperationFigures>();
        if (root.TryGetProperty("operations", out var ops) && ops.ValueKind == JsonValueKind.Object)
        {
            foreach (var op in ops.EnumerateObject())
            {
                var o = op.Value;
                var failures = new List<(string, long)>();
                if (o.TryGetProperty("failures", out var f) && f.ValueKind == JsonValueKind.Object)
                {
                    failures.AddRange(f.EnumerateObject().Select(x => (x.Name, x.Value.GetInt64())));
                }

                var curve = new List<(double, double)>();
                if (o.TryGetProperty("latency_by_percentile", out var c) && c.ValueKind == JsonValueKind.Array)
                {
                    curve.AddRange(c.EnumerateArray().Where(x => x.GetArrayLength() == 2).Select(x => (x[0].GetDouble(), x[1].GetDouble())));
                }

                operations.Add(new OperationFigures(op.Name, Long(o, "count"), Number(o, "per_second"), Number(o, "p50_us"), Number(o, "p90_us"), Number(o, "p99_us"), Number(o, "p999_us"), Number(o, "max_us"), failures, curve));
            }
        }

        Operations = operations;
        var timeline = new List<TimelineRecord>();
        if (root.TryGetProperty("timeline", out var t) && t.ValueKind == JsonValueKind.Array)
        {
            foreach (var p in t.EnumerateArray())
            {
                timeline.Add(ReadPoint(p));
            }
        }

        Timeline = timeline;
    }

    /// <summary>The report's root object (for fields not modelled here).</summary>
    public JsonElement Root { get; }

    /// <summary>Where it came from (a file name, or "this run").</summary>
    public string Source { get; }

    /// <summary>Per operation, in the report's order.</summary>
    public IReadOnlyList<OperationFigures> Operations { get; }

    /// <summary>The timeline; empty for reports without one.</summary>
    public IReadOnlyList<TimelineRecord> Timeline { get; }

    /// <summary>Backend name.</summary>
    public string Backend => Text(Root, "backend");

    /// <summary>Confirmed bookings.</summary>
    public long Bookings => Long(Root, "bookings");

    /// <summary>Seconds of load.</summary>
    public double ElapsedSeconds => Number(Root, "elapsed_seconds");

    /// <summary>Bookings per second of load.</summary>
    public double BookingsPerSecond => Number(Root, "bookings_per_second");

    /// <summary>Double bookings found by the recount.</summary>
    public long DoubleBookings => Long(Root, "double_bookings");

    /// <summary>Invariant violations found by the recount.</summary>
    public long InvariantViolations => Long(Root, "invariant_violations");

    /// <summary>Engine errors (exceptions) during the load.</summary>
    public long Errors => Operations.Sum(o => o.Failures.Where(f => f.Reason == "error").Sum(f => f.Count));

    /// <summary>Reads a report from a file.</summary>
    /// <param name="path">The JSON file.</param>
    /// <returns>The document.</returns>
    public static RunDocument Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        return new RunDocument(document.RootElement.Clone(), Path.GetFileName(path));
    }

    /// <summary>Reads a report from its bytes.</summary>
    /// <param name="utf8">The JSON.</param>
    /// <param name="source">What to call it.</param>
    /// <returns>The document.</returns>
    public static RunDocument Parse(ReadOnlySpan<byte> utf8, string source)
    {
        var reader = new Utf8JsonReader(utf8);
        using var document = JsonDocument.ParseValue(ref reader);
        return new RunDocument(document.RootElement.Clone(), source);
    }

    /// <summary>The same report under another name.</summary>
    /// <param name="source">The name.</param>
    /// <returns>A copy.</returns>
    public RunDocument WithSource(string source) => new(Root, source);

    /// <summary>A number at a path of property names, or 0.</summary>
    /// <param name="path">Property names, outermost first.</param>
    /// <returns>The number.</returns>
    public double Get(params string[] path)
    {
        var e = Root;
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return 0;
            }
        }

        return e.ValueKind == JsonValueKind.Number ? e.GetDouble() : 0;
    }

    /// <summary>Whether a path of property names exists.</summary>
    /// <param name="path">Property names, outermost first.</param>
    /// <returns>True when present.</returns>
    public bool Has(params string[] path)
    {
        var e = Root;
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A string at a path of property names, or empty.</summary>
    /// <param name="path">Property names, outermost first.</param>
    /// <returns>The text.</returns>
    public string GetText(params string[] path)
    {
        var e = Root;
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return "";
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.ToString();
    }

    /// <summary>The operation of a name, or <see langword="null"/>.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The figures.</returns>
    public OperationFigures? Operation(string name) => Operations.FirstOrDefault(o => o.Name == name);

    private static TimelineRecord ReadPoint(JsonElement p)
    {
        var latency = new Dictionary<string, (long, double, double, double)>();
        if (p.TryGetProperty("latency_us", out var l) && l.ValueKind == JsonValueKind.Object)
        {
            foreach (var op in l.EnumerateObject())
            {
                latency[op.Name] = (Long(op.Value, "count"), Number(op.Value, "p50"), Number(op.Value, "p99"), Number(op.Value, "max"));
            }
        }

        var failures = new Dictionary<string, long>();
        if (p.TryGetProperty("failures", out var f) && f.ValueKind == JsonValueKind.Object)
        {
            foreach (var r in f.EnumerateObject())
            {
                failures[r.Name] = r.Value.GetInt64();
            }
        }

        var known = new HashSet<string>(StringComparer.Ordinal) { "latency_us", "failures", "gc" };
        var extras = new Dictionary<string, IReadOnlyDictionary<string, double>>();
        foreach (var property in p.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object && !known.Contains(property.Name))
            {
                extras[property.Name] = property.Value.EnumerateObject()
                    .Where(x => x.Value.ValueKind == JsonValueKind.Number)
                    .ToDictionary(x => x.Name, x => x.Value.GetDouble());
            }
        }

        var gc = p.TryGetProperty("gc", out var g) ? g : default;
        return new TimelineRecord
        {
            T = Number(p, "t"),
            Seconds = Number(p, "seconds"),
            Bookings = Long(p, "bookings"),
            BookingsPerSecond = Number(p, "bookings_per_second"),
            OperationsPerSecond = Number(p, "operations_per_second"),
            Offers = Long(p, "offers"),
            OffersPerSecond = Number(p, "offers_per_second"),
            Latency = latency,
            Failures = failures,
            Collections = gc.ValueKind == JsonValueKind.Object ? (int)(Long(gc, "gen0") + Long(gc, "gen1") + Long(gc, "gen2")) : 0,
            Gen2 = gc.ValueKind == JsonValueKind.Object ? (int)Long(gc, "gen2") : 0,
            GcPauseMillis = gc.ValueKind == JsonValueKind.Object ? Number(gc, "pause_ms") : 0,
            AllocatedBytes = Long(p, "allocated_bytes"),
            CpuMillis = Number(p, "cpu_ms"),
            Rush = p.TryGetProperty("rush", out var rush) && rush.ValueKind == JsonValueKind.True,
            Extras = extras,
        };
    }

    private static double Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    private static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? (long)v.GetDouble() : 0;

    private static string Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : "";
}
