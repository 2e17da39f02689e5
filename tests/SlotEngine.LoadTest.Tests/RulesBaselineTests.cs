using SlotEngine.LoadTest.Cli;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The rules' baseline (issue 11): <c>--no-rules</c> turns the rules off in the engine only; the generator makes the same calls.</summary>
public class RulesBaselineTests
{
    private static LoadSettings Bind(params string[] args)
    {
        var command = new LoadCommand();
        var settings = command.Bind(command.Root.Parse(args), out var errors);
        Assert.Empty(errors);
        return settings!;
    }

    [Fact]
    public void No_rules_keeps_the_generators_mix_and_no_lifecycle_mix_turns_both_off()
    {
        var all = Bind();
        Assert.True(all.Rules);
        Assert.True(all.LifecycleMix);

        var noRules = Bind("--no-rules");
        Assert.False(noRules.Rules);
        Assert.True(noRules.LifecycleMix);

        var bare = Bind("--no-lifecycle-mix");
        Assert.False(bare.Rules);
        Assert.False(bare.LifecycleMix);
    }

    [Fact]
    public void Rule_off_turns_single_rules_off_in_the_engine_and_rejects_unknown_names()
    {
        Assert.Equal(EngineRules.None, Bind().RulesOff);
        var two = Bind("--rule-off", "cap", "--rule-off", "audit");
        Assert.Equal(EngineRules.ActiveCap | EngineRules.Audit, two.RulesOff);
        Assert.False(two.RuleOn(EngineRules.ActiveCap));
        Assert.False(two.RuleOn(EngineRules.Audit));
        Assert.True(two.RuleOn(EngineRules.Bars));
        Assert.True(two.RuleOn(EngineRules.CallLimit));
        Assert.True(two.RuleOn(EngineRules.Approval));
        Assert.False(Bind("--no-rules").RuleOn(EngineRules.Bars));

        var command = new LoadCommand();
        Assert.Null(command.Bind(command.Root.Parse(["--rule-off", "quotas"]), out var errors));
        Assert.Contains(errors, e => e.Contains("--rule-off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_with_the_cap_and_bars_off_is_refused_by_neither_and_counts_no_breach()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 3_000, Duration = null, Concurrency = 2, Citizens = 1_500, Seed = 3, RulesOff = EngineRules.ActiveCap | EngineRules.Bars };
        var output = new ProgressOutput(AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(new StringWriter()) }), live: false);
        var result = await LoadRun.ExecuteAsync(settings, output, CancellationToken.None);
        Assert.NotNull(result);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Lifecycle.Enabled);
        Assert.Equal(0, result.Lifecycle.RefusedActiveCap);
        Assert.Equal(0, result.Lifecycle.ToldAtCap); // no cap: the check before the search says no at once
        Assert.Equal(0, result.Lifecycle.RefusedBarred);
        Assert.Equal(0, result.Lifecycle.RuleViolations);
        Assert.True(result.Lifecycle.AuditRecords > 0);
        Assert.Equal(0, result.Lifecycle.ReplayMismatches);
    }

    [Fact]
    public async Task Citizens_at_the_cap_are_told_before_their_search_and_the_cap_still_holds()
    {
        // 2 bookings a citizen on average: many citizens reach the cap of 3 live future appointments.
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 2_400, Duration = null, Concurrency = 2, Citizens = 1_200, Seed = 5 };
        var output = new ProgressOutput(AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(new StringWriter()) }), live: false);
        var result = await LoadRun.ExecuteAsync(settings, output, CancellationToken.None);
        Assert.NotNull(result);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.Lifecycle.ToldAtCap > 0, $"told at the cap: {result.Lifecycle.ToldAtCap}");
        Assert.Equal(0, result.Lifecycle.RuleViolations); // nobody beyond the cap in the generator's ledger

        // Each arrival asked once, counted with its time outside the operations table; so were the outcomes recorded.
        var (checks, checkNanos) = result.Stats.Untimed(UntimedCall.CapCheck);
        Assert.Equal(result.Stats.Citizens, checks);
        Assert.True(checkNanos > 0);
        Assert.True(result.Stats.Untimed(UntimedCall.Outcome).Count >= result.Lifecycle.Outcomes && result.Lifecycle.Outcomes > 0);
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Lifecycle.ReplayMismatches);
    }

    [Fact]
    public async Task A_run_without_the_rules_makes_the_same_kinds_of_calls_and_the_engine_refuses_none_by_a_rule()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 3_000, Duration = null, Concurrency = 2, Citizens = 1_500, Seed = 3, Rules = false };
        var output = new ProgressOutput(AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(new StringWriter()) }), live: false);
        var result = await LoadRun.ExecuteAsync(settings, output, CancellationToken.None);
        Assert.NotNull(result);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);

        // The generator's side ran: claims dressed with channels and actors, outcomes recorded.
        Assert.False(result.Lifecycle.Enabled);
        Assert.True(result.Lifecycle.Mix);
        Assert.Equal(result.Stats.Bookings, result.Lifecycle.BookingsByChannel.Values.Sum());
        Assert.True(result.Lifecycle.BookingsByChannel[BookingChannel.CallCentre] > 0);
        Assert.True(result.Lifecycle.OnBehalf > 0);
        Assert.True(result.Lifecycle.Outcomes > 0);
        Assert.True(result.Stats.Untimed(UntimedCall.Outcome).Count >= result.Lifecycle.Outcomes);
        Assert.Equal(result.Stats.Citizens, result.Stats.Untimed(UntimedCall.CapCheck).Count); // asked, and answered at once
        Assert.Equal(0, result.Stats.Untimed(UntimedCall.Approval).Count); // nothing comes back unapproved

        // The engine's side did not: no refusal by a rule, no audit, nothing left unapproved.
        Assert.Equal(0, result.Lifecycle.RefusedCallLimit);
        Assert.Equal(0, result.Lifecycle.RefusedActiveCap);
        Assert.Equal(0, result.Lifecycle.ToldAtCap);
        Assert.Equal(0, result.Lifecycle.RefusedBarred);
        Assert.Equal(0, result.Lifecycle.AuditRecords);
        Assert.Equal(0, result.Lifecycle.UnapprovedReleased);
    }

    [Fact]
    public void Rules_ratio_takes_pairs_and_refuses_a_run_that_sets_the_rules_itself()
    {
        Assert.Equal(0, Bind().RulesRatioPairs);
        Assert.Equal(3, Bind("--rules-ratio", "3").RulesRatioPairs);
        Assert.Equal(RulesRatio.DefaultWarmupBookings, Bind("--rules-ratio", "3").RulesRatioWarmupBookings);
        Assert.Equal(0, Bind("--rules-ratio", "3", "--rules-ratio-warmup", "0").RulesRatioWarmupBookings);
        string[][] refused = [["--rules-ratio", "1", "--no-rules"], ["--rules-ratio", "1", "--rule-off", "cap"], ["--rules-ratio", "1", "--no-lifecycle-mix"], ["--rules-ratio", "1", "--backend", "redis", "--redis", "127.0.0.1:1"], ["--rules-ratio", "-1"], ["--rules-ratio", "1", "--rules-ratio-warmup", "-5"]];
        foreach (var args in refused)
        {
            var command = new LoadCommand();
            Assert.Null(command.Bind(command.Root.Parse(args), out var errors));
            Assert.Contains(errors, e => e.Contains("--rules-ratio", StringComparison.Ordinal));
        }

        Assert.Equal(2.5, RulesRatio.Median([4, 1, 2, 3]));
        Assert.Equal(2, RulesRatio.Median([3, 1, 2]));
        Assert.Equal(Path.Combine("d", "x.off-2.json"), RulesRatio.Suffixed(Path.Combine("d", "x.json"), rules: false, pair: 2));
    }

    [Fact]
    public void The_split_costs_extra_calls_at_the_rules_off_mean_and_extra_time_at_the_rules_on_count()
    {
        // Rules on: 1.5 searches of 1 µs and 2 holds of 3 µs a booking; off: 1 search of 1 µs and 1.5 holds of 2 µs.
        OperationShare[] on = [new(Operation.Search, 1.5, 1), new(Operation.Hold, 2, 3)];
        OperationShare[] off = [new(Operation.Search, 1, 1), new(Operation.Hold, 1.5, 2)];
        var split = RulesCostSplit.Of(engineMicrosOn: 10, engineMicrosOff: 6, arrivalsOn: 1.4, arrivalsOff: 1.2, on, off);

        Assert.Equal(4, split.Extra, 9);
        Assert.Equal((0.5 * 1) + (0.5 * 2), split.MoreOperations, 9); // the extra calls at off's means
        Assert.Equal((1.5 * 0) + (2 * 1), split.CostlierOperations, 9); // on's calls, each dearer by on − off
        Assert.Equal(4 - 1.5 - 2, split.Other, 9);
        Assert.Equal(0, split.UntimedCalls, 9); // none given: all of Other is the rest
        Assert.Equal(split.Other, split.Rest, 9);
        Assert.Contains("citizens 1.400 / 1.200 a booking", split.Line(1), StringComparison.Ordinal);
        Assert.Contains("hold 2.000 / 1.500", split.Line(1), StringComparison.Ordinal);

        // A run that spent less with the rules on gives negative parts, not a clamp.
        var cheaper = RulesCostSplit.Of(5, 6, 1, 1, off, on);
        Assert.Equal(-1, cheaper.Extra, 9);
        Assert.True(cheaper.MoreOperations < 0 && cheaper.CostlierOperations < 0);

        Assert.Throws<ArgumentException>(() => RulesCostSplit.Of(1, 1, 1, 1, on, [new(Operation.Hold, 1, 1), new(Operation.Search, 1, 1)]));
    }

    [Fact]
    public void The_pairs_give_a_geometric_mean_and_a_90_percent_interval_on_the_log_scale()
    {
        // Logs −ln 1.25, 0, +ln 1.25: mean 0, standard deviation ln 1.25, t(0.95, 2) = 2.920.
        var estimate = RatioInterval.Of([0.8, 1.0, 1.25]);
        Assert.Equal(1.0, estimate.GeometricMean, 9);
        var half = 2.920 * Math.Log(1.25) / Math.Sqrt(3);
        Assert.Equal(Math.Exp(-half), estimate.Low!.Value, 9);
        Assert.Equal(Math.Exp(half), estimate.High!.Value, 9);

        // Equal ratios: a point; one ratio: no interval; a ratio of 0 (a side with no bookings) is refused.
        var same = RatioInterval.Of([0.93, 0.93, 0.93, 0.93]);
        Assert.Equal(0.93, same.Low!.Value, 9);
        Assert.Equal(0.93, same.High!.Value, 9);
        Assert.Null(RatioInterval.Of([1.1]).Low);
        Assert.Throws<ArgumentException>(() => RatioInterval.Of([0.9, 0]));
        Assert.Throws<ArgumentException>(() => RatioInterval.Of([]));

        // t from the table, then the expansion (t(0.95, 40) = 1.684, t(0.95, 120) = 1.658).
        Assert.Equal(6.314, RatioInterval.StudentT95(1), 3);
        Assert.Equal(1.697, RatioInterval.StudentT95(30), 3);
        Assert.Equal(1.684, RatioInterval.StudentT95(40), 3);
        Assert.Equal(1.658, RatioInterval.StudentT95(120), 3);

        // More pairs narrow it; the line says on which side of 0.9 the low end lies.
        double[] ratios = [0.86, 0.97, 0.94, 1.09, 0.90, 0.81, 1.22, 0.80, 1.09, 0.90];
        var ten = RatioInterval.Of(ratios);
        var twenty = RatioInterval.Of([.. ratios, .. ratios]);
        Assert.True(twenty.High - twenty.Low < ten.High - ten.Low);
        Assert.Contains("below 0.9×", RulesRatio.IntervalLine(ratios), StringComparison.Ordinal);
        Assert.Contains("at least 0.9×", RulesRatio.IntervalLine([0.95, 0.97, 0.99, 0.96]), StringComparison.Ordinal);
        Assert.Contains("one pair: no interval", RulesRatio.IntervalLine([0.95]), StringComparison.Ordinal);
    }

    [Fact]
    public void The_untimed_calls_are_the_part_of_other_they_cost_a_booking_more_with_the_rules_on()
    {
        OperationShare[] on = [new(Operation.Search, 1, 1), new(Operation.Hold, 1, 2)];
        OperationShare[] off = [new(Operation.Search, 1, 1), new(Operation.Hold, 1, 2)];

        // Rules on: 1.4 cap checks of 0.5 µs and 0.2 approvals of 1 µs a booking; off: 1.2 checks of 0.05 µs, no approval.
        CallShare[] untimedOn = [new(UntimedCall.CapCheck, 1.4, 0.5), new(UntimedCall.Approval, 0.2, 1), new(UntimedCall.Outcome, 0, 0)];
        CallShare[] untimedOff = [new(UntimedCall.CapCheck, 1.2, 0.05), new(UntimedCall.Approval, 0, 0), new(UntimedCall.Outcome, 0, 0)];
        var split = RulesCostSplit.Of(engineMicrosOn: 5, engineMicrosOff: 4, arrivalsOn: 1.4, arrivalsOff: 1.2, on, off, untimedOn, untimedOff);

        Assert.Equal(1, split.Other, 9); // the timed calls are the same on both sides
        Assert.Equal((1.4 * 0.5) + (0.2 * 1) - (1.2 * 0.05), split.UntimedCalls, 9);
        Assert.Equal(1 - split.UntimedCalls, split.Rest, 9);
        var line = split.Line(1);
        Assert.Contains("cap checks 1.400 / 1.200 a booking at 0.500 / 0.050 µs", line, StringComparison.Ordinal);
        Assert.Contains("approvals 0.200 / 0.000 a booking", line, StringComparison.Ordinal);
        Assert.DoesNotContain("outcomes", line, StringComparison.Ordinal); // neither run recorded one

        Assert.Throws<ArgumentException>(() => RulesCostSplit.Of(1, 1, 1, 1, on, off, untimedOn, [.. untimedOff.Reverse()]));
    }

    [Fact]
    public async Task Rules_ratio_runs_both_sides_in_one_process_and_writes_each_report_and_the_summary()
    {
        var folder = Directory.CreateTempSubdirectory("rules-ratio-");
        try
        {
            var json = Path.Combine(folder.FullName, "r.json");
            var settings = new LoadSettings { Providers = 300, BookingsTarget = 3_000, Duration = null, Concurrency = 2, Citizens = 1_500, Seed = 3, RulesRatioPairs = 1, RulesRatioWarmupBookings = 500, JsonPath = json, HtmlPath = Path.ChangeExtension(json, ".html") };
            var text = new StringWriter();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text) });
            var exit = await RulesRatio.ExecuteAsync(settings, console, new ProgressOutput(console, live: false), CancellationToken.None);
            Assert.Equal(0, exit);

            using var on = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.FullName, "r.on-1.json")));
            using var off = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder.FullName, "r.off-1.json")));
            Assert.True(on.RootElement.GetProperty("rules").GetBoolean());
            Assert.False(off.RootElement.GetProperty("rules").GetBoolean());

            using var summary = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(json));
            var pair = Assert.Single(summary.RootElement.GetProperty("pairs").EnumerateArray());
            var onRate = on.RootElement.GetProperty("bookings_per_second").GetDouble();
            var offRate = off.RootElement.GetProperty("bookings_per_second").GetDouble();
            Assert.Equal(onRate, pair.GetProperty("on_bookings_per_second").GetDouble());
            Assert.Equal(offRate, pair.GetProperty("off_bookings_per_second").GetDouble());
            Assert.Equal(Math.Round(onRate / offRate, 2), Math.Round(pair.GetProperty("bookings_per_second_ratio").GetDouble(), 2));
            Assert.Equal(pair.GetProperty("bookings_per_second_ratio").GetDouble(), summary.RootElement.GetProperty("median_bookings_per_second_ratio").GetDouble());
            Assert.Contains("Rules ratio, median of 1 pair(s)", text.ToString(), StringComparison.Ordinal);
            Assert.Equal(pair.GetProperty("bookings_per_second_ratio").GetDouble(), summary.RootElement.GetProperty("geometric_mean_bookings_per_second_ratio").GetDouble(), 0.0002);
            Assert.Equal(System.Text.Json.JsonValueKind.Null, summary.RootElement.GetProperty("bookings_per_second_ratio_interval_90").GetProperty("low").ValueKind);
            Assert.Contains("Rules ratio, geometric mean of 1 pair(s)", text.ToString(), StringComparison.Ordinal);

            // Where the extra engine time went: the three parts add up to on − off, read from each run's own report.
            var split = pair.GetProperty("engine_cpu_split_us");
            var extra = on.RootElement.GetProperty("engine_cpu_us_per_booking").GetDouble() - off.RootElement.GetProperty("engine_cpu_us_per_booking").GetDouble();
            Assert.Equal(extra, split.GetProperty("extra").GetDouble(), 0.002);
            Assert.Equal(split.GetProperty("extra").GetDouble(), split.GetProperty("more_operations").GetDouble() + split.GetProperty("costlier_operations").GetDouble() + split.GetProperty("other").GetDouble(), 0.002);
            Assert.Equal(split.GetProperty("other").GetDouble(), split.GetProperty("untimed_calls").GetDouble() + split.GetProperty("rest").GetDouble(), 0.002);
            var untimed = 0.0;
            foreach (var (side, run, sign) in new[] { ("on", on, 1), ("off", off, -1) })
            {
                foreach (var call in run.RootElement.GetProperty("untimed_calls").EnumerateObject())
                {
                    var share = pair.GetProperty(side + "_untimed_calls").GetProperty(call.Name);
                    Assert.Equal(call.Value.GetProperty("per_booking").GetDouble(), share.GetProperty("per_booking").GetDouble(), 0.0001);
                    Assert.Equal(call.Value.GetProperty("mean_us").GetDouble(), share.GetProperty("mean_us").GetDouble(), 0.001);
                    untimed += sign * call.Value.GetProperty("per_booking").GetDouble() * call.Value.GetProperty("mean_us").GetDouble();
                }
            }

            Assert.Equal(untimed, split.GetProperty("untimed_calls").GetDouble(), 0.01);
            Assert.True(on.RootElement.GetProperty("untimed_calls").GetProperty("cap_check").GetProperty("count").GetInt64() > 0);
            var onHolds = on.RootElement.GetProperty("operations").GetProperty("hold");
            Assert.Equal(onHolds.GetProperty("mean_us").GetDouble(), pair.GetProperty("on_operations").GetProperty("hold").GetProperty("mean_us").GetDouble(), 0.001);
            Assert.Equal(onHolds.GetProperty("count").GetDouble() / on.RootElement.GetProperty("bookings").GetDouble(), pair.GetProperty("on_operations").GetProperty("hold").GetProperty("per_booking").GetDouble(), 0.0001);
            Assert.Equal(off.RootElement.GetProperty("citizens_arrived").GetDouble() / off.RootElement.GetProperty("bookings").GetDouble(), pair.GetProperty("off_citizens_per_booking").GetDouble(), 0.0001);
            Assert.Equal(split.GetProperty("extra").GetDouble(), summary.RootElement.GetProperty("median_engine_cpu_split_us").GetProperty("extra").GetDouble());
            Assert.Contains("Rules ratio, pair 1, where the engine's", text.ToString(), StringComparison.Ordinal);
            Assert.Contains("Rules ratio, medians of 1 pair(s), engine µs a booking", text.ToString(), StringComparison.Ordinal);

            // The two warm-up runs come first, write no report, and are not in the pairs.
            Assert.Equal(500, summary.RootElement.GetProperty("warmup_bookings_per_run").GetInt64());
            Assert.Contains("Rules ratio, warm-up: a run with the rules on of at most 500 bookings", text.ToString(), StringComparison.Ordinal);
            Assert.Contains("Rules ratio, warm-up: a run with the rules off of at most 500 bookings", text.ToString(), StringComparison.Ordinal);
            Assert.True(text.ToString().IndexOf("warm-up: a run with the rules off", StringComparison.Ordinal) < text.ToString().IndexOf("pair 1 of 1", StringComparison.Ordinal));
            Assert.Equal(2, Directory.GetFiles(folder.FullName, "r.*-*.json").Length); // r.on-1.json and r.off-1.json only
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
