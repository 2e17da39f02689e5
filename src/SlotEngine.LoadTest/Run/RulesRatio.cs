using System.Globalization;
using System.Runtime;
using System.Text.Json;
using SlotEngine.LoadTest.Reports;
using Spectre.Console;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// <c>--rules-ratio N</c>: issue 11's goal ("the default in-memory run keeps at least 0.9× the bookings/s of the same run
/// with the rules off") measured in one process. The same settings run N times with the engine's rules and N times with
/// <c>--no-rules</c> (the generator's calls unchanged), alternating so that neither side always runs first after a
/// collection (pair 1: on, off; pair 2: off, on; ...). Each run builds its own country and engine; the one before is
/// collected first. Reported per pair: both runs' bookings/s and engine CPU µs per booking, bookings/s on ÷ off and CPU
/// off ÷ on (both above 1 when the rules cost nothing), where the extra engine time went (<see cref="RulesCostSplit"/>: more
/// calls a booking, costlier calls, the rest), and the medians of the pairs. Before pair 1, two short runs (rules
/// on, then off; <see cref="LoadSettings.RulesRatioWarmupBookings"/> bookings each) are not measured: without them the
/// process's first run paid the JIT's compiles (0.8–1.5 µs a booking of JIT time against 0.02–0.45 in later runs), and
/// that was always a rules-on run.
/// </summary>
internal static class RulesRatio
{
    /// <summary>The bookings of each warm-up run by default: enough for the tiered JIT to settle on the booking path.</summary>
    public const long DefaultWarmupBookings = 200_000;

    /// <summary>Runs the pairs, writes each run's reports and the summary, and returns the worst exit code.</summary>
    /// <param name="settings">The settings, rules on, <see cref="LoadSettings.RulesRatioPairs"/> above 0.</param>
    /// <param name="console">Where the runs' reports and the summary go.</param>
    /// <param name="output">Progress output.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    /// <returns>The exit code: 0, or the first failing run's.</returns>
    public static async Task<int> ExecuteAsync(LoadSettings settings, IAnsiConsole console, ProgressOutput output, CancellationToken cancellationToken)
    {
        var pairs = new List<(RunResult On, RunResult Off)>();
        var exitCode = 0;
        if (settings.RulesRatioWarmupBookings > 0)
        {
            foreach (var rules in new[] { true, false })
            {
                var warmup = settings with
                {
                    Rules = rules,
                    RulesRatioPairs = 0,
                    BookingsTarget = Math.Min(settings.BookingsTarget ?? long.MaxValue, settings.RulesRatioWarmupBookings),
                    JsonPath = null,
                    HtmlPath = null,
                };
                console.WriteLine($"Rules ratio, warm-up: a run with the rules {(rules ? "on" : "off")} of at most {warmup.BookingsTarget:N0} bookings, not measured.");
                var result = await RunCollectedAsync(warmup, output, cancellationToken).ConfigureAwait(false);
                if (result is null)
                {
                    return Cli.LoadCommand.BadOptions;
                }

                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Rules ratio, warm-up: {result.Stats.Bookings:N0} bookings, {result.BookingsPerSecond:N0}/s, exit code {result.ExitCode} (not in the ratios)."));
                exitCode = result.ExitCode;
                if (exitCode != 0)
                {
                    ConsoleReport.Write(console, result); // a failed warm-up shows why, as a measured run would
                    return exitCode;
                }
            }
        }

        for (var pair = 1; pair <= settings.RulesRatioPairs; pair++)
        {
            RunResult? on = null;
            RunResult? off = null;
            foreach (var rules in pair % 2 == 1 ? new[] { true, false } : [false, true])
            {
                var run = settings with
                {
                    Rules = rules,
                    RulesRatioPairs = 0,
                    JsonPath = settings.JsonPath is null ? null : Suffixed(settings.JsonPath, rules, pair),
                    HtmlPath = settings.JsonPath is null ? null : Path.ChangeExtension(Suffixed(settings.JsonPath, rules, pair), ".html"),
                };
                console.WriteLine($"Rules ratio, pair {pair} of {settings.RulesRatioPairs}: the run with the rules {(rules ? "on" : "off (--no-rules)")}.");

                var result = await RunCollectedAsync(run, output, cancellationToken).ConfigureAwait(false);
                if (result is null)
                {
                    return Cli.LoadCommand.BadOptions;
                }

                ConsoleReport.Write(console, result);
                foreach (var line in ReportFiles.Write(run, result))
                {
                    console.WriteLine(line);
                }

                if (exitCode == 0)
                {
                    exitCode = result.ExitCode;
                }

                if (rules)
                {
                    on = result;
                }
                else
                {
                    off = result;
                }
            }

            pairs.Add((on!, off!));
        }

        foreach (var (line, _) in Lines(pairs))
        {
            console.WriteLine(line);
        }

        if (settings.JsonPath is { } path)
        {
            File.WriteAllBytes(path, Summary(pairs, settings.RulesRatioWarmupBookings));
            console.WriteLine($"Rules ratio summary: {path}");
        }

        return exitCode;
    }

    // The previous run's engine and country are garbage now: collected before this run builds its own.
    private static Task<RunResult?> RunCollectedAsync(LoadSettings run, ProgressOutput output, CancellationToken cancellationToken)
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return LoadRun.ExecuteAsync(run, output, cancellationToken);
    }

    /// <summary>The report path of one run: X.json → X.on-1.json, X.off-1.json.</summary>
    internal static string Suffixed(string jsonPath, bool rules, int pair) =>
        Path.ChangeExtension(jsonPath, null) + (rules ? ".on-" : ".off-") + pair.ToString(CultureInfo.InvariantCulture) + ".json";

    /// <summary>Bookings/s on ÷ off, and engine CPU µs per booking off ÷ on (0 when a side has none).</summary>
    internal static (double Throughput, double Cpu) Ratios(RunResult on, RunResult off) => (
        off.BookingsPerSecond > 0 ? on.BookingsPerSecond / off.BookingsPerSecond : 0,
        on.Generator is { } g && off.Generator is { } h && g.EngineCpuMicrosPerBooking > 0 ? h.EngineCpuMicrosPerBooking / g.EngineCpuMicrosPerBooking : 0);

    /// <summary>The median of some values (the mean of the middle two for an even count).</summary>
    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static IEnumerable<(string Line, int Pair)> Lines(List<(RunResult On, RunResult Off)> pairs)
    {
        var splits = pairs.Select(p => RulesCostSplit.Of(p.On, p.Off)).ToList();
        for (var i = 0; i < pairs.Count; i++)
        {
            var (on, off) = pairs[i];
            var (throughput, cpu) = Ratios(on, off);
            yield return (string.Create(
                CultureInfo.InvariantCulture,
                $"Rules ratio, pair {i + 1}: rules on {on.BookingsPerSecond:N0} bookings/s, engine {on.Generator?.EngineCpuMicrosPerBooking:0.00} µs CPU/booking; off {off.BookingsPerSecond:N0}/s, {off.Generator?.EngineCpuMicrosPerBooking:0.00} µs; on ÷ off {throughput:0.000}× bookings/s, CPU off ÷ on {cpu:0.000}×"), i);
            yield return (splits[i].Line(i + 1), i);
        }

        var all = pairs.Select(p => Ratios(p.On, p.Off)).ToList();
        yield return (MedianLine([.. all.Select(r => r.Throughput)], [.. all.Select(r => r.Cpu)], string.Empty), -1);
        yield return (IntervalLine(all.Select(r => r.Throughput).ToList()), -1);
        yield return (RulesCostSplit.MedianLine(splits), -1);
    }

    /// <summary>The line of the pairs' medians: bookings/s on ÷ off and engine CPU off ÷ on.</summary>
    /// <param name="throughputRatios">Each pair's bookings/s on ÷ off.</param>
    /// <param name="cpuRatios">Each pair's engine CPU per booking off ÷ on.</param>
    /// <param name="source">Where the pairs are from, after the count (empty for one command's).</param>
    internal static string MedianLine(IReadOnlyList<double> throughputRatios, IReadOnlyList<double> cpuRatios, string source) => string.Create(
        CultureInfo.InvariantCulture,
        $"Rules ratio, median of {throughputRatios.Count} pair(s){source}: {Median(throughputRatios):0.000}× bookings/s, {Median(cpuRatios):0.000}× engine CPU per booking (issue 11's goal: at least 0.9× bookings/s)");

    /// <summary>The pairs' geometric mean and interval over the pairs with bookings on both sides (a ratio of 0 has none), or null.</summary>
    internal static RatioInterval? Estimate(IReadOnlyList<double> throughputRatios)
    {
        var positive = throughputRatios.Where(r => r > 0).ToList();
        return positive.Count == 0 ? null : RatioInterval.Of(positive);
    }

    /// <summary>The line of the pairs' geometric mean and its interval (<see cref="RatioInterval"/>).</summary>
    internal static string IntervalLine(IReadOnlyList<double> throughputRatios)
    {
        if (Estimate(throughputRatios) is not { } estimate)
        {
            return "Rules ratio, geometric mean: no pair with bookings on both sides";
        }

        var interval = estimate.Low is { } low && estimate.High is { } high
            ? string.Create(CultureInfo.InvariantCulture, $"; {RatioInterval.Level:P0} interval {low:0.000}–{high:0.000}× (Student's t on the pairs' log ratios; its low end is a one-sided 95 % bound: {(low >= 0.9 ? "at least" : "below")} 0.9×)")
            : " (one pair: no interval)";
        return string.Create(CultureInfo.InvariantCulture, $"Rules ratio, geometric mean of {estimate.Pairs} pair(s): {estimate.GeometricMean:0.000}× bookings/s{interval}");
    }

    /// <summary>
    /// Writes the pairs' geometric mean (<c>geometric_mean_bookings_per_second_ratio</c>) and its interval
    /// (<c>bookings_per_second_ratio_interval_90</c>: <c>low</c>, <c>high</c>, null for one pair); nothing when no pair has
    /// bookings on both sides.
    /// </summary>
    internal static void WriteEstimate(Utf8JsonWriter json, IReadOnlyList<double> throughputRatios)
    {
        if (Estimate(throughputRatios) is not { } estimate)
        {
            return;
        }

        json.WriteNumber("geometric_mean_bookings_per_second_ratio", Math.Round(estimate.GeometricMean, 4));
        json.WriteStartObject("bookings_per_second_ratio_interval_90");
        if (estimate.Low is { } low && estimate.High is { } high)
        {
            json.WriteNumber("low", Math.Round(low, 4));
            json.WriteNumber("high", Math.Round(high, 4));
        }
        else
        {
            json.WriteNull("low");
            json.WriteNull("high");
        }

        json.WriteEndObject();
    }

    private static byte[] Summary(List<(RunResult On, RunResult Off)> pairs, long warmupBookings)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("mode", "rules_ratio");
            json.WriteNumber("warmup_bookings_per_run", warmupBookings);
            json.WriteStartArray("pairs");
            var splits = pairs.Select(p => RulesCostSplit.Of(p.On, p.Off)).ToList();
            for (var i = 0; i < pairs.Count; i++)
            {
                var (on, off) = pairs[i];
                var (throughput, cpu) = Ratios(on, off);
                json.WriteStartObject();
                json.WriteNumber("on_bookings_per_second", Math.Round(on.BookingsPerSecond, 1));
                json.WriteNumber("off_bookings_per_second", Math.Round(off.BookingsPerSecond, 1));
                json.WriteNumber("on_engine_cpu_us_per_booking", Math.Round(on.Generator?.EngineCpuMicrosPerBooking ?? 0, 3));
                json.WriteNumber("off_engine_cpu_us_per_booking", Math.Round(off.Generator?.EngineCpuMicrosPerBooking ?? 0, 3));
                json.WriteNumber("on_bookings", on.Stats.Bookings);
                json.WriteNumber("off_bookings", off.Stats.Bookings);
                json.WriteNumber("bookings_per_second_ratio", Math.Round(throughput, 4));
                json.WriteNumber("engine_cpu_ratio", Math.Round(cpu, 4));
                splits[i].WriteTo(json);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            var all = pairs.Select(p => Ratios(p.On, p.Off)).ToList();
            json.WriteNumber("median_bookings_per_second_ratio", Math.Round(Median(all.Select(r => r.Throughput).ToList()), 4));
            json.WriteNumber("median_engine_cpu_ratio", Math.Round(Median(all.Select(r => r.Cpu).ToList()), 4));
            WriteEstimate(json, [.. all.Select(r => r.Throughput)]);
            RulesCostSplit.WriteParts(json, "median_engine_cpu_split_us", RulesCostSplit.Medians(splits));
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
