using System.Text.Json;
using SlotEngine.LoadTest.Cli;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Tests;

/// <summary><c>slotengine-load pool</c>: the pairs of several <c>--rules-ratio</c> summaries as one estimate.</summary>
public sealed class PoolCommandTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("pool-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Pooled_pairs_give_the_estimate_of_all_of_them_on_the_console_and_in_json()
    {
        var a = Summary("a", [0.85, 1.04, 0.99], [0.92, 1.05, 1.01], seed: 42);
        var b = Summary("b", [0.93, 0.81], [0.95, 0.86], seed: 42);
        var output = Path.Combine(_folder.FullName, "pooled.json");

        var (exit, text) = Pool([a, b], output);

        Assert.Equal(0, exit);
        double[] all = [0.85, 1.04, 0.99, 0.93, 0.81];
        var expected = RatioInterval.Of(all);
        Assert.Contains($"Pool: {a}: 3 pair(s), median 0.990× bookings/s", text, StringComparison.Ordinal);
        Assert.Contains($"Pool: {b}: 2 pair(s), median 0.870× bookings/s", text, StringComparison.Ordinal);
        Assert.Contains("Rules ratio, median of 5 pair(s) from 2 summaries: 0.930× bookings/s, 0.950× engine CPU per booking", text, StringComparison.Ordinal);
        Assert.Contains(RulesRatio.IntervalLine(all), text, StringComparison.Ordinal);
        Assert.DoesNotContain("warning", text, StringComparison.Ordinal);

        using var pooled = JsonDocument.Parse(File.ReadAllBytes(output));
        var root = pooled.RootElement;
        Assert.Equal("rules_ratio_pool", root.GetProperty("mode").GetString());
        Assert.Equal(5, root.GetProperty("pairs").GetInt32());
        Assert.Equal(0.93, root.GetProperty("median_bookings_per_second_ratio").GetDouble());
        Assert.Equal(0.95, root.GetProperty("median_engine_cpu_ratio").GetDouble());
        Assert.Equal(expected.GeometricMean, root.GetProperty("geometric_mean_bookings_per_second_ratio").GetDouble(), 0.0001);
        Assert.Equal(expected.Low!.Value, root.GetProperty("bookings_per_second_ratio_interval_90").GetProperty("low").GetDouble(), 0.0001);
        Assert.Equal(expected.High!.Value, root.GetProperty("bookings_per_second_ratio_interval_90").GetProperty("high").GetDouble(), 0.0001);
        var sources = root.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal([a, b], sources.Select(s => s.GetProperty("path").GetString()));
        Assert.Equal([3, 2], sources.Select(s => s.GetProperty("pairs").GetInt32()));
        Assert.All(sources, s => Assert.True(s.GetProperty("settings_compared").GetBoolean()));
        Assert.Equal(RatioInterval.Of([0.93, 0.81]).GeometricMean, sources[1].GetProperty("geometric_mean_bookings_per_second_ratio").GetDouble(), 0.0001);
    }

    [Fact]
    public void Summaries_of_other_settings_are_refused_and_nothing_is_written()
    {
        var a = Summary("a", [0.9, 1.0], [0.9, 1.0], seed: 42);
        var b = Summary("b", [0.8, 1.1], [0.8, 1.1], seed: 7);
        var output = Path.Combine(_folder.FullName, "pooled.json");

        var (exit, _) = Pool([a, b], output);

        Assert.Equal(LoadCommand.BadOptions, exit);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_file_that_is_not_a_summary_is_missing_or_named_twice_is_refused()
    {
        var a = Summary("a", [0.9, 1.0], [0.9, 1.0], seed: 42);
        var run = RulesRatio.Suffixed(a, rules: true, 1); // a run report, not a summary

        Assert.Equal(LoadCommand.BadOptions, Pool([a, run], null).Exit);
        Assert.Equal(LoadCommand.BadOptions, Pool([a, Path.Combine(_folder.FullName, "absent.json")], null).Exit);
        Assert.Equal(LoadCommand.BadOptions, Pool([a], Path.Combine(_folder.FullName, "no-such-folder", "pooled.json")).Exit);
        Assert.Equal(LoadCommand.BadOptions, Pool([a, Path.Combine(_folder.FullName, ".", "a.json")], null).Exit); // one file twice
    }

    [Fact]
    public void A_summary_without_its_run_reports_is_pooled_with_a_warning()
    {
        var a = Summary("a", [0.9, 1.0], [0.9, 1.0], seed: 42);
        var b = Summary("b", [0.8], [0.85], seed: 42);
        File.Delete(RulesRatio.Suffixed(b, rules: true, 1));

        var (exit, text) = Pool([a, b], null);

        Assert.Equal(0, exit);
        Assert.Contains($"Pool: warning: {b} has no run report beside it", text, StringComparison.Ordinal);
        Assert.Contains("Rules ratio, median of 3 pair(s) from 2 summaries: 0.900×", text, StringComparison.Ordinal);
    }

    private static (int Exit, string Text) Pool(string[] paths, string? json)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text) });
        console.Profile.Width = 400;
        return (PoolCommand.Run(console, paths, json), text.ToString());
    }

    // A --rules-ratio summary with these pairs, and its first run's report (its settings) beside it.
    private string Summary(string name, double[] throughput, double[] cpu, int seed)
    {
        var path = Path.Combine(_folder.FullName, name + ".json");
        using (var stream = File.Create(path))
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("mode", "rules_ratio");
            json.WriteStartArray("pairs");
            for (var i = 0; i < throughput.Length; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("bookings_per_second_ratio", throughput[i]);
                json.WriteNumber("engine_cpu_ratio", cpu[i]);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        File.WriteAllText(RulesRatio.Suffixed(path, rules: true, 1), $$$"""{"bookings": 1, "settings": {"providers": 150000, "seed": {{{seed}}}, "loop": "closed"}}""");
        return path;
    }
}
