using SlotEngine.LoadTest.Cli;
using SlotEngine.LoadTest.Reports;
using Spectre.Console;

namespace SlotEngine.LoadTest.Tests;

public class ComparisonTests
{
    [Fact]
    public void The_same_spread_around_the_same_mean_is_within_noise()
    {
        var random = new Random(3);
        var a = Enumerable.Range(0, 50).Select(_ => 100 + (random.NextDouble() * 20)).ToList();
        var b = Enumerable.Range(0, 50).Select(_ => 100 + (random.NextDouble() * 20)).ToList();
        Assert.Equal(Verdict.WithinNoise, Comparison.Judge(a, b, Better.Higher).Verdict);
    }

    [Fact]
    public void A_shift_of_many_standard_errors_is_marked_the_right_way()
    {
        var random = new Random(4);
        var a = Enumerable.Range(0, 40).Select(_ => 100 + (random.NextDouble() * 20)).ToList();
        var b = a.Select(v => v * 1.5).ToList();
        Assert.Equal(Verdict.Better, Comparison.Judge(a, b, Better.Higher).Verdict);
        Assert.Equal(Verdict.Worse, Comparison.Judge(a, b, Better.Lower).Verdict);

        // Standard error: s/√n of the per-interval values.
        var (mean, stdErr, n) = Comparison.Stats([1, 2, 3, 4, 5]);
        Assert.Equal(3, mean, 10);
        Assert.Equal(Math.Sqrt(2.5 / 5), stdErr, 10);
        Assert.Equal(5, n);
    }

    [Fact]
    public void Too_few_intervals_are_not_judged()
    {
        var (verdict, why) = Comparison.Judge([1, 2, 3], [10, 20, 30, 40, 50], Better.Higher);
        Assert.Equal(Verdict.NotJudged, verdict);
        Assert.Contains("too few intervals", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_against_itself_shows_no_change_and_a_broken_b_is_marked()
    {
        var result = await Runs.OneAndAHalfSeconds;
        var a = RunDocument.Parse(JsonReport.ToBytes(result), "a.json");
        var rows = Comparison.Compare(a, a);
        Assert.DoesNotContain(rows, r => r.Verdict is Verdict.Better or Verdict.Worse or Verdict.Broken);
        Assert.Contains(rows, r => r.Verdict == Verdict.WithinNoise);
        Assert.All(rows.Where(r => r.A != 0), r => Assert.Equal(1, r.Ratio!.Value, 10));

        var invariants = new SlotEngine.LoadTest.Run.InvariantReport { DoubleBookings = 2, LedgerBookings = result.Invariants.LedgerBookings };
        var broken = result with { Invariants = invariants };
        var b = RunDocument.Parse(JsonReport.ToBytes(broken), "b.json");
        Assert.Equal(Verdict.Broken, Comparison.Compare(a, b).Single(r => r.Name == "double_bookings").Verdict);
    }

    [Fact]
    public async Task The_compare_command_writes_the_table_and_the_page()
    {
        var result = await Runs.OneAndAHalfSeconds;
        var pathA = Runs.TempPath(".json");
        var pathB = Runs.TempPath(".json");
        var html = Runs.TempPath(".html");
        try
        {
            File.WriteAllBytes(pathA, JsonReport.ToBytes(result));
            File.WriteAllBytes(pathB, JsonReport.ToBytes(result with { ElapsedSeconds = result.ElapsedSeconds * 2 }));
            var sink = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(sink) });
            console.Profile.Width = 200;
            Assert.Equal(0, CompareCommand.Run(console, pathA, pathB, html));
            var text = sink.ToString();
            Assert.Contains("bookings/s", text, StringComparison.Ordinal);
            Assert.Contains("0.50", text, StringComparison.Ordinal); // half the rate: B/A
            var page = File.ReadAllText(html);
            Assert.Contains("id=\"comparison\"", page, StringComparison.Ordinal);
            Assert.Contains("id=\"chart-throughput\"", page, StringComparison.Ordinal);

            Assert.Equal(LoadCommand.BadOptions, CompareCommand.Run(console, pathA, Runs.TempPath(".json"), null));
        }
        finally
        {
            File.Delete(pathA);
            File.Delete(pathB);
            File.Delete(html);
        }
    }
}
