using System.Globalization;
using System.Text.Json;

namespace SlotEngine.LoadTest.Run;

/// <summary>One timed operation's share of a run: how many of it a booking took, and their mean time.</summary>
/// <param name="Operation">The operation.</param>
/// <param name="PerBooking">Calls a booking (all calls, failed ones included, over the run's bookings).</param>
/// <param name="MeanMicros">The calls' mean time, µs (wall time of each call; in memory, the engine's work).</param>
internal readonly record struct OperationShare(Operation Operation, double PerBooking, double MeanMicros);

/// <summary>One kind of untimed call's share of a run (<see cref="UntimedCall"/>): how many a booking, and their mean time.</summary>
/// <param name="Call">The kind.</param>
/// <param name="PerBooking">Calls a booking.</param>
/// <param name="MeanMicros">Their mean time, µs.</param>
internal readonly record struct CallShare(UntimedCall Call, double PerBooking, double MeanMicros)
{
    /// <summary>Their time a booking, µs.</summary>
    public double MicrosPerBooking => PerBooking * MeanMicros;
}

/// <summary>
/// Where a pair's extra engine time a booking went with the rules on (<c>--rules-ratio</c>), in three parts that add up
/// to the difference of the two runs' engine CPU µs a booking:
/// <list type="bullet">
/// <item><see cref="MoreOperations"/>: the rules make the scenario do more calls a booking (a citizen refused by the cap,
/// a bar or a call's limit arrives, searches and holds again), each costed at the rules-off run's mean;</item>
/// <item><see cref="CostlierOperations"/>: each timed call (search, hold, confirm, cancel) costs more with the rules on
/// (the cap's entry, the audit record, the approval state), at the rules-on run's count a booking;</item>
/// <item><see cref="Other"/>: the rest: the calls the generator does not time one by one (approvals, outcomes, moves,
/// offers) and any engine CPU outside the timed calls' wall time. Of it, <see cref="UntimedCalls"/> is what the calls
/// counted outside the operations table (<see cref="UntimedCall"/>: the cap check before the search, approvals, outcomes)
/// cost a booking more with the rules on, and <see cref="Rest"/> the remainder (moves, offers, work between calls).</item>
/// </list>
/// The parts are not independent: the cap check reads the patient's directory line, which the hold that follows then finds
/// in the cache, so the check's cost shows in <see cref="UntimedCalls"/> and part of what it saves in a cheaper hold
/// (<see cref="CostlierOperations"/>).
/// The first is the scenario's work the rules create, not a slower claim path; the second is the claim path's own cost.
/// </summary>
/// <param name="EngineMicrosOn">Engine CPU µs a booking, rules on.</param>
/// <param name="EngineMicrosOff">Engine CPU µs a booking, rules off.</param>
/// <param name="MoreOperations">µs a booking from more calls a booking.</param>
/// <param name="CostlierOperations">µs a booking from costlier calls.</param>
/// <param name="ArrivalsOn">Citizens arrived a booking, rules on.</param>
/// <param name="ArrivalsOff">Citizens arrived a booking, rules off.</param>
/// <param name="On">The rules-on run's timed operations.</param>
/// <param name="Off">The rules-off run's timed operations, in the same order.</param>
/// <param name="UntimedOn">The rules-on run's untimed calls, every kind in <see cref="UntimedCalls.All"/>'s order.</param>
/// <param name="UntimedOff">The rules-off run's, in the same order.</param>
internal sealed record RulesCostSplit(
    double EngineMicrosOn,
    double EngineMicrosOff,
    double MoreOperations,
    double CostlierOperations,
    double ArrivalsOn,
    double ArrivalsOff,
    IReadOnlyList<OperationShare> On,
    IReadOnlyList<OperationShare> Off,
    IReadOnlyList<CallShare> UntimedOn,
    IReadOnlyList<CallShare> UntimedOff)
{
    /// <summary>The operations the generator times one by one (not the whole booking, which contains them).</summary>
    public static readonly Operation[] TimedOperations = [Operation.Search, Operation.Hold, Operation.Confirm, Operation.Cancel];

    /// <summary>The engine's extra CPU µs a booking with the rules on (negative when the rules-on run spent less).</summary>
    public double Extra => EngineMicrosOn - EngineMicrosOff;

    /// <summary>What neither <see cref="MoreOperations"/> nor <see cref="CostlierOperations"/> explains (see the type's remarks).</summary>
    public double Other => Extra - MoreOperations - CostlierOperations;

    /// <summary>Of <see cref="Other"/>: what the untimed calls (<see cref="UntimedCall"/>) cost a booking, rules on minus off.</summary>
    public double UntimedCalls => UntimedOn.Sum(c => c.MicrosPerBooking) - UntimedOff.Sum(c => c.MicrosPerBooking);

    /// <summary>Of <see cref="Other"/>: the rest, after <see cref="UntimedCalls"/> (moves, offers, engine work between calls).</summary>
    public double Rest => Other - UntimedCalls;

    /// <summary>Splits a pair's extra engine time (the type's remarks).</summary>
    /// <param name="engineMicrosOn">Engine CPU µs a booking, rules on.</param>
    /// <param name="engineMicrosOff">Engine CPU µs a booking, rules off.</param>
    /// <param name="arrivalsOn">Citizens a booking, rules on.</param>
    /// <param name="arrivalsOff">Citizens a booking, rules off.</param>
    /// <param name="on">The rules-on run's timed operations.</param>
    /// <param name="off">The rules-off run's, the same operations in the same order.</param>
    /// <param name="untimedOn">The rules-on run's untimed calls (none: an empty list).</param>
    /// <param name="untimedOff">The rules-off run's, the same kinds in the same order.</param>
    /// <returns>The split.</returns>
    /// <exception cref="ArgumentException">The two lists of operations, or of untimed calls, do not name the same ones in the same order.</exception>
    public static RulesCostSplit Of(double engineMicrosOn, double engineMicrosOff, double arrivalsOn, double arrivalsOff, IReadOnlyList<OperationShare> on, IReadOnlyList<OperationShare> off, IReadOnlyList<CallShare>? untimedOn = null, IReadOnlyList<CallShare>? untimedOff = null)
    {
        if (on.Count != off.Count || on.Where((share, i) => share.Operation != off[i].Operation).Any())
        {
            throw new ArgumentException("Both runs' shares must name the same operations in the same order.", nameof(off));
        }

        untimedOn ??= [];
        untimedOff ??= [];
        if (untimedOn.Count != untimedOff.Count || untimedOn.Where((share, i) => share.Call != untimedOff[i].Call).Any())
        {
            throw new ArgumentException("Both runs' untimed calls must name the same kinds in the same order.", nameof(untimedOff));
        }

        var more = 0.0;
        var costlier = 0.0;
        for (var i = 0; i < on.Count; i++)
        {
            more += (on[i].PerBooking - off[i].PerBooking) * off[i].MeanMicros;
            costlier += on[i].PerBooking * (on[i].MeanMicros - off[i].MeanMicros);
        }

        return new RulesCostSplit(engineMicrosOn, engineMicrosOff, more, costlier, arrivalsOn, arrivalsOff, on, off, untimedOn, untimedOff);
    }

    /// <summary>The split of a measured pair, from both runs' counts and latency histograms.</summary>
    /// <param name="on">The rules-on run.</param>
    /// <param name="off">The rules-off run.</param>
    /// <returns>The split.</returns>
    public static RulesCostSplit Of(RunResult on, RunResult off) => Of(
        on.Generator?.EngineCpuMicrosPerBooking ?? 0,
        off.Generator?.EngineCpuMicrosPerBooking ?? 0,
        PerBooking(on.Stats.Citizens, on.Stats.Bookings),
        PerBooking(off.Stats.Citizens, off.Stats.Bookings),
        SharesOf(on.Stats),
        SharesOf(off.Stats),
        UntimedOf(on.Stats),
        UntimedOf(off.Stats));

    /// <summary>A run's timed operations: calls a booking and mean µs.</summary>
    /// <param name="stats">The run's merged stats.</param>
    /// <returns>One share per <see cref="TimedOperations"/>, in that order.</returns>
    public static OperationShare[] SharesOf(WorkerStats stats) =>
        [.. TimedOperations.Select(op => new OperationShare(op, PerBooking(stats.Latency[(int)op].TotalCount, stats.Bookings), stats.Latency[(int)op].Mean / 1000.0))];

    /// <summary>A run's untimed calls: calls a booking and mean µs.</summary>
    /// <param name="stats">The run's merged stats.</param>
    /// <returns>One share per kind, in <see cref="Run.UntimedCalls.All"/>'s order.</returns>
    public static CallShare[] UntimedOf(WorkerStats stats) =>
        [.. Run.UntimedCalls.All.Select(call =>
        {
            var (count, nanos) = stats.Untimed(call);
            return new CallShare(call, PerBooking(count, stats.Bookings), count > 0 ? nanos / 1000.0 / count : 0);
        })];

    /// <summary>The console line of a pair.</summary>
    /// <param name="pair">The pair's number, from 1.</param>
    /// <returns>The line.</returns>
    public string Line(int pair) => string.Create(
        CultureInfo.InvariantCulture,
        $"Rules ratio, pair {pair}, where the engine's {Extra:+0.00;-0.00} µs a booking went: {MoreOperations:+0.00;-0.00} µs more calls a booking (citizens {ArrivalsOn:0.000} / {ArrivalsOff:0.000} a booking; {Calls()}), {CostlierOperations:+0.00;-0.00} µs costlier calls (mean µs on / off: {Means()}), {Other:+0.00;-0.00} µs other (calls not timed one by one: {UntimedCalls:+0.00;-0.00} untimed calls{Untimed()}; {Rest:+0.00;-0.00} rest: moves, offers, work between calls)");

    /// <summary>The pairs' medians, part by part (medians of the parts need not add up to the median extra).</summary>
    /// <param name="splits">Every pair's split.</param>
    /// <returns>The medians of <see cref="Extra"/>, <see cref="MoreOperations"/>, <see cref="CostlierOperations"/> and <see cref="Other"/>.</returns>
    public static (double Extra, double More, double Costlier, double Other, double Untimed, double Remainder) Medians(IReadOnlyList<RulesCostSplit> splits) => (
        RulesRatio.Median([.. splits.Select(s => s.Extra)]),
        RulesRatio.Median([.. splits.Select(s => s.MoreOperations)]),
        RulesRatio.Median([.. splits.Select(s => s.CostlierOperations)]),
        RulesRatio.Median([.. splits.Select(s => s.Other)]),
        RulesRatio.Median([.. splits.Select(s => s.UntimedCalls)]),
        RulesRatio.Median([.. splits.Select(s => s.Rest)]));

    /// <summary>The console line of the pairs' medians (<see cref="Medians"/>).</summary>
    /// <param name="splits">Every pair's split.</param>
    /// <returns>The line.</returns>
    public static string MedianLine(IReadOnlyList<RulesCostSplit> splits)
    {
        var (extra, more, costlier, other, untimed, rest) = Medians(splits);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Rules ratio, medians of {splits.Count} pair(s), engine µs a booking, on − off: {extra:+0.00;-0.00} in all; {more:+0.00;-0.00} more calls a booking, {costlier:+0.00;-0.00} costlier calls, {other:+0.00;-0.00} other ({untimed:+0.00;-0.00} untimed calls, {rest:+0.00;-0.00} rest)");
    }

    /// <summary>Writes a split's parts (one pair's, or the pairs' <see cref="Medians"/>) as a JSON object named <paramref name="name"/>.</summary>
    /// <param name="json">The writer, inside an object.</param>
    /// <param name="name">The object's name.</param>
    /// <param name="parts">The parts, µs a booking.</param>
    public static void WriteParts(Utf8JsonWriter json, string name, (double Extra, double More, double Costlier, double Other, double Untimed, double Remainder) parts)
    {
        json.WriteStartObject(name);
        json.WriteNumber("extra", Math.Round(parts.Extra, 3));
        json.WriteNumber("more_operations", Math.Round(parts.More, 3));
        json.WriteNumber("costlier_operations", Math.Round(parts.Costlier, 3));
        json.WriteNumber("other", Math.Round(parts.Other, 3));
        json.WriteNumber("untimed_calls", Math.Round(parts.Untimed, 3));
        json.WriteNumber("rest", Math.Round(parts.Remainder, 3));
        json.WriteEndObject();
    }

    /// <summary>Writes the split as a JSON object's members.</summary>
    /// <param name="json">The writer, inside an object.</param>
    public void WriteTo(Utf8JsonWriter json)
    {
        WriteParts(json, "engine_cpu_split_us", (Extra, MoreOperations, CostlierOperations, Other, UntimedCalls, Rest));
        json.WriteNumber("on_citizens_per_booking", Math.Round(ArrivalsOn, 4));
        json.WriteNumber("off_citizens_per_booking", Math.Round(ArrivalsOff, 4));
        foreach (var (side, shares) in new[] { ("on", On), ("off", Off) })
        {
            json.WriteStartObject(side + "_operations");
            foreach (var share in shares)
            {
                json.WriteStartObject(OperationNames.Name(share.Operation));
                json.WriteNumber("per_booking", Math.Round(share.PerBooking, 4));
                json.WriteNumber("mean_us", Math.Round(share.MeanMicros, 3));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        foreach (var (side, shares) in new[] { ("on", UntimedOn), ("off", UntimedOff) })
        {
            json.WriteStartObject(side + "_untimed_calls");
            foreach (var share in shares)
            {
                json.WriteStartObject(Run.UntimedCalls.Name(share.Call));
                json.WriteNumber("per_booking", Math.Round(share.PerBooking, 4));
                json.WriteNumber("mean_us", Math.Round(share.MeanMicros, 3));
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }
    }

    // ": cap checks 1.365 / 0.000 a booking at 0.846 / 0.000 µs, …" (kinds neither run made are left out).
    private string Untimed() => string.Concat(UntimedOn.Select((s, i) => (On: s, Off: UntimedOff[i])).Where(p => p.On.PerBooking > 0 || p.Off.PerBooking > 0).Select((p, i) => string.Create(
        CultureInfo.InvariantCulture,
        $"{(i == 0 ? ": " : ", ")}{Run.UntimedCalls.Plural(p.On.Call)} {p.On.PerBooking:0.000} / {p.Off.PerBooking:0.000} a booking at {p.On.MeanMicros:0.000} / {p.Off.MeanMicros:0.000} µs")));

    private string Calls() => string.Join("; ", On.Select((s, i) => string.Create(CultureInfo.InvariantCulture, $"{OperationNames.Name(s.Operation)} {s.PerBooking:0.000} / {Off[i].PerBooking:0.000}")));

    private string Means() => string.Join("; ", On.Select((s, i) => string.Create(CultureInfo.InvariantCulture, $"{OperationNames.Name(s.Operation)} {s.MeanMicros:0.000} / {Off[i].MeanMicros:0.000}")));

    private static double PerBooking(long count, long bookings) => bookings > 0 ? (double)count / bookings : 0;
}
