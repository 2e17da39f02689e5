using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Cli;

/// <summary>
/// <c>slotengine-load pool A.json B.json … [--json out.json]</c>: the pairs of several <c>--rules-ratio</c> summaries as one
/// estimate. Each command's pairs are independent draws of the same ratio when the settings and the build are the same, so
/// the pooled geometric mean and its interval (<see cref="RatioInterval"/>) are those of all the pairs together: on a
/// machine whose runs move by ±15 %, twenty pairs leave an interval of about ±5–7 %, sixty about ±3–4 %. The settings of the
/// commands are compared through each summary's first run report beside it (<c>X.on-1.json</c>) and must be equal; a
/// summary without that report is pooled with a warning. Exit 0 when pooled, 2 when a file is missing, named twice, is
/// not a <c>--rules-ratio</c> summary, or was run with other settings.
/// </summary>
internal static class PoolCommand
{
    /// <summary>Makes the subcommand.</summary>
    /// <param name="console">Where the estimate is written.</param>
    /// <returns>The command.</returns>
    public static Command Create(Func<IAnsiConsole> console)
    {
        var summaries = new Argument<string[]>("SUMMARY") { Description = "The summaries (X.json) of --rules-ratio commands run with the same settings and build.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<string?>("--json") { Description = "Also write the pooled estimate here as JSON." };
        var command = new Command("pool", "The pairs of several --rules-ratio summaries as one estimate: their median, geometric mean and 90 % interval.") { summaries, json };
        command.SetAction(parse => Run(console(), parse.GetValue(summaries)!, parse.GetValue(json)));
        return command;
    }

    /// <summary>Pools the summaries' pairs, writes the estimate, and returns the exit code.</summary>
    /// <param name="console">The console.</param>
    /// <param name="paths">The summaries.</param>
    /// <param name="jsonPath">Where to write the pooled estimate as JSON, if anywhere.</param>
    /// <returns>0, or <see cref="LoadCommand.BadOptions"/>.</returns>
    public static int Run(IAnsiConsole console, IReadOnlyList<string> paths, string? jsonPath)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(paths);
        if (jsonPath is not null && !LoadCommand.FolderExists(jsonPath))
        {
            Console.Error.WriteLine($"error: --json: the folder of '{jsonPath}' does not exist.");
            return LoadCommand.BadOptions;
        }

        if (paths.GroupBy(Path.GetFullPath).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            Console.Error.WriteLine($"error: {twice.First()} is named more than once: its pairs would count twice.");
            return LoadCommand.BadOptions;
        }

        var sources = new List<Source>();
        foreach (var path in paths)
        {
            try
            {
                sources.Add(Source.Load(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException)
            {
                Console.Error.WriteLine($"error: {path}: {e.Message}");
                return LoadCommand.BadOptions;
            }
        }

        if (Mismatch(sources) is { } mismatch)
        {
            Console.Error.WriteLine("error: " + mismatch);
            return LoadCommand.BadOptions;
        }

        foreach (var source in sources)
        {
            console.WriteLine(Line(source));
            if (source.Settings is null)
            {
                console.WriteLine($"Pool: warning: {source.Path} has no run report beside it ({RulesRatio.Suffixed(source.Path, rules: true, 1)}): its settings were not compared.");
            }
        }

        var throughput = sources.SelectMany(s => s.Throughput).ToList();
        var cpu = sources.SelectMany(s => s.Cpu).ToList();
        console.WriteLine(RulesRatio.MedianLine(throughput, cpu, $" from {sources.Count} summaries"));
        console.WriteLine(RulesRatio.IntervalLine(throughput));
        if (jsonPath is not null)
        {
            File.WriteAllBytes(jsonPath, Summary(sources, throughput, cpu));
            console.WriteLine($"Pooled estimate: {jsonPath}");
        }

        return 0;
    }

    /// <summary>Why the summaries cannot be pooled (their runs' settings differ), or null.</summary>
    private static string? Mismatch(List<Source> sources)
    {
        var first = sources.FirstOrDefault(s => s.Settings is not null);
        foreach (var other in sources.Where(s => s.Settings is not null && !ReferenceEquals(s, first)))
        {
            foreach (var name in first!.Settings!.Keys.Union(other.Settings!.Keys))
            {
                var mine = first.Settings.GetValueOrDefault(name, "(none)");
                var theirs = other.Settings.GetValueOrDefault(name, "(none)");
                if (theirs != mine)
                {
                    return $"{first.Path} and {other.Path} were run with other settings: {name} is {mine} against {theirs}; pool only commands of the same settings.";
                }
            }
        }

        return null;
    }

    private static string Line(Source source)
    {
        var estimate = RulesRatio.Estimate(source.Throughput);
        var interval = estimate is { Low: { } low, High: { } high } ? string.Create(CultureInfo.InvariantCulture, $", 90 % interval {low:0.000}–{high:0.000}×") : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Pool: {source.Path}: {source.Throughput.Count} pair(s), median {RulesRatio.Median(source.Throughput):0.000}× bookings/s, geometric mean {estimate?.GeometricMean ?? 0:0.000}×{interval}");
    }

    private static byte[] Summary(List<Source> sources, List<double> throughput, List<double> cpu)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("mode", "rules_ratio_pool");
            json.WriteStartArray("sources");
            foreach (var source in sources)
            {
                json.WriteStartObject();
                json.WriteString("path", source.Path);
                json.WriteNumber("pairs", source.Throughput.Count);
                json.WriteBoolean("settings_compared", source.Settings is not null);
                json.WriteNumber("median_bookings_per_second_ratio", Math.Round(RulesRatio.Median(source.Throughput), 4));
                RulesRatio.WriteEstimate(json, source.Throughput);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumber("pairs", throughput.Count);
            json.WriteNumber("median_bookings_per_second_ratio", Math.Round(RulesRatio.Median(throughput), 4));
            json.WriteNumber("median_engine_cpu_ratio", Math.Round(RulesRatio.Median(cpu), 4));
            RulesRatio.WriteEstimate(json, throughput);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>One summary's pairs, and the settings of its first run (null when that report is not beside it).</summary>
    private sealed record Source(string Path, List<double> Throughput, List<double> Cpu, Dictionary<string, string>? Settings)
    {
        public static Source Load(string path)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("mode", out var mode) || mode.ValueKind != JsonValueKind.String || mode.GetString() != "rules_ratio"
                || !root.TryGetProperty("pairs", out var pairs) || pairs.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("not the summary of a --rules-ratio command (its mode is not rules_ratio, or it has no pairs).");
            }

            var throughput = new List<double>();
            var cpu = new List<double>();
            foreach (var pair in pairs.EnumerateArray())
            {
                throughput.Add(Ratio(pair, "bookings_per_second_ratio", throughput.Count + 1));
                cpu.Add(Ratio(pair, "engine_cpu_ratio", cpu.Count + 1));
            }

            if (throughput.Count == 0)
            {
                throw new InvalidDataException("the summary has no pairs.");
            }

            return new Source(path, throughput, cpu, SettingsBeside(path));
        }

        private static double Ratio(JsonElement pair, string name, int number) =>
            pair.ValueKind == JsonValueKind.Object && pair.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
                ? value.GetDouble()
                : throw new InvalidDataException($"pair {number} has no number {name}.");

        // The first run's settings, each member as its JSON text: runs of one command share them.
        private static Dictionary<string, string>? SettingsBeside(string path)
        {
            var run = RulesRatio.Suffixed(path, rules: true, 1);
            if (!File.Exists(run))
            {
                return null;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(run));
            if (!document.RootElement.TryGetProperty("settings", out var settings) || settings.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{run} is not a run report (it has no settings).");
            }

            return settings.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal);
        }
    }
}
