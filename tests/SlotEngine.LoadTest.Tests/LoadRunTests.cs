using SlotEngine.LoadTest.Metrics;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Tests;

public class LoadRunTests
{
    private static ProgressOutput Quiet(StringWriter sink) =>
        new(AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(sink) }), live: false);

    [Fact]
    public async Task A_small_nationwide_run_books_its_target_and_the_engine_agrees_with_the_ledger()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 3_000, Duration = null, Concurrency = 2, Citizens = 1_500, Seed = 3 };
        var result = await LoadRun.ExecuteAsync(settings, Quiet(new StringWriter()), CancellationToken.None);
        Assert.NotNull(result);
        Assert.True(result.Stats.Bookings >= 3_000);
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Invariants.Violations);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(result.Stats.Bookings - result.Stats.Cancelled, result.Invariants.LedgerBookings);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);

        // The scenario day ran through: holds expired and were retaken, quotas refused, cutoffs met.
        Assert.Equal(LoadRun.ScenarioStart.AddHours(24), result.ScenarioTime.End, TimeSpan.FromMinutes(30));
        Assert.True(result.Stats.WalkAways > 0);
        Assert.True(result.Stats.Failures(Operation.Hold, FailureReason.QuotaExceeded) > 0);
        Assert.True(result.Stats.Cancelled > 0);
        Assert.Equal(result.Stats.Bookings, result.Stats.Latency[(int)Operation.Confirm].TotalCount - result.Stats.Failures(Operation.Confirm, FailureReason.HoldExpired) - result.Stats.Failures(Operation.Confirm, FailureReason.Stale));

        // Attendance: a sample of bookings gets its outcome; no-shows bar citizens who are not exempt, and no
        // barred citizen books (rule_violations, part of the exit code above).
        Assert.True(result.Lifecycle.NoShows > 0);
        Assert.InRange(result.Lifecycle.BarsApplied, 1, result.Lifecycle.NoShows);
        Assert.Equal(0, result.Lifecycle.RuleViolations);

        // Approval: bookings left unapproved were released at their deadline (after the run), and none outlived it
        // (rule_violations above); the scenario's end is the one before the check moved the clock.
        Assert.True(result.Lifecycle.UnapprovedReleased > 0);
    }

    [Fact]
    public async Task A_warm_up_books_before_the_measured_load_and_its_bookings_are_recounted_not_reported()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 1_500, Duration = TimeSpan.FromSeconds(30), Concurrency = 2, Citizens = 5_000, Seed = 4, Warmup = TimeSpan.FromSeconds(3) };
        var sink = new StringWriter();
        var result = await LoadRun.ExecuteAsync(settings, Quiet(sink), CancellationToken.None);
        Assert.NotNull(result);
        Assert.Contains("Warmed up:", sink.ToString(), StringComparison.Ordinal);
        Assert.Equal(result.Warmup.Seconds, Assert.Single(result.SetupSteps, s => s.Step == "warmup").Seconds); // reported as a setup step (no bound on wall time: a test asserts no duration)

        // In memory it books fast: it ends at its cap at the latest (each worker at most one flush past it).
        var cap = LoadRun.WarmupCap(settings);
        Assert.InRange(result.Warmup.Bookings, 1, cap + (RunControl.FlushEveryFor(cap, settings.Concurrency) * settings.Concurrency));

        // The measured load stops at its own target; the recount sees the warm-up's bookings as well.
        Assert.InRange(result.Stats.Bookings, 1_500, 1_500 + (RunControl.MaxFlushEvery * settings.Concurrency));
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Invariants.Violations);
        Assert.Equal(0, result.Lifecycle.RuleViolations);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(result.Stats.Bookings - result.Stats.Cancelled + result.Warmup.Bookings - result.Warmup.Cancelled, result.Invariants.LedgerBookings);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);

        var path = Path.Combine(Path.GetTempPath(), "slotengine-load-test-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var warmup = json.RootElement.GetProperty("warmup");
            Assert.Equal(result.Warmup.Bookings, warmup.GetProperty("bookings").GetInt64());
            Assert.Equal(result.Stats.Bookings, json.RootElement.GetProperty("bookings").GetInt64());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task The_json_report_and_the_svg_plot_are_written()
    {
        var settings = new LoadSettings { Providers = 200, BookingsTarget = 1_000, Duration = null, Concurrency = 2, Citizens = 1_000 };
        var result = await LoadRun.ExecuteAsync(settings, Quiet(new StringWriter()), CancellationToken.None);
        Assert.NotNull(result);
        var path = Path.Combine(Path.GetTempPath(), "slotengine-load-test-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            Assert.Equal("memory", root.GetProperty("backend").GetString());
            Assert.Equal(result.Stats.Bookings, root.GetProperty("bookings").GetInt64());
            Assert.True(root.GetProperty("bookings_per_second").GetDouble() > 0);
            Assert.Equal(0, root.GetProperty("double_bookings").GetInt64());
            Assert.Equal(0, root.GetProperty("invariant_violations").GetInt64());
            foreach (var op in new[] { "search", "hold", "confirm", "cancel" })
            {
                var o = root.GetProperty("operations").GetProperty(op);
                foreach (var field in new[] { "count", "per_second", "p50_us", "p99_us", "p999_us", "max_us" })
                {
                    Assert.True(o.TryGetProperty(field, out _), op + "." + field);
                }
            }

            // Life after booking: the attendance fields are there, and nothing was breached.
            Assert.Equal(result.Lifecycle.NoShows, root.GetProperty("no_shows").GetInt64());
            Assert.Equal(result.Lifecycle.BarsApplied, root.GetProperty("bars_applied").GetInt64());
            Assert.Equal(result.Lifecycle.RefusedBarred, root.GetProperty("claims_refused_barred").GetInt64());
            Assert.Equal(0, root.GetProperty("rule_violations").GetInt64());
            Assert.Equal(result.Lifecycle.UnapprovedReleased, root.GetProperty("unapproved_released").GetInt64());

            // What the load cost: allocation and CPU per booking, the collector's mode, setup by step.
            Assert.True(root.GetProperty("gc").GetProperty("allocated_bytes").GetInt64() > 0);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("gc").GetProperty("mode").GetString()));
            Assert.True(root.GetProperty("cpu_seconds").GetDouble() > 0);
            Assert.Equal(result.CpuMicrosPerBooking, root.GetProperty("cpu_us_per_booking").GetDouble(), tolerance: 0.011); // the report rounds to 0.01

            // The threads' hand-offs: the pool ran work items (each worker is one at least), and on Linux the process's context
            // switches were read (getrusage; -1 elsewhere).
            var hops = result.Hops!.Value;
            Assert.True(hops.PoolItems >= result.Settings.Concurrency, $"{hops.PoolItems} pool items");
            Assert.Equal(Math.Round((double)hops.PoolItems / result.Stats.Bookings, 3), root.GetProperty("threads").GetProperty("pool_items_per_booking").GetDouble());
            if (OperatingSystem.IsLinux())
            {
                Assert.True(hops.VoluntarySwitches >= 0 && hops.InvoluntarySwitches >= 0, $"{hops.VoluntarySwitches} / {hops.InvoluntarySwitches}");
            }

            // The compiling done in the load window (the tiered compiler's recompiles) is reported beside it: never negative,
            // and what the JSON says is the reading's.
            Assert.True(hops.JitTime >= TimeSpan.Zero && hops.JitMethods >= 0, $"{hops.JitTime} / {hops.JitMethods}");
            Assert.Equal(Math.Round(hops.JitTime.TotalMicroseconds / result.Stats.Bookings, 3), root.GetProperty("threads").GetProperty("jit_us_per_booking").GetDouble());
            Assert.Equal(hops.JitMethods, root.GetProperty("threads").GetProperty("jit_methods").GetInt64());

            // The CPU per booking split between the generator and the engine adds up to it; both sides took time.
            var generator = root.GetProperty("generator_cpu_us_per_booking").GetDouble();
            var engine = root.GetProperty("engine_cpu_us_per_booking").GetDouble();
            Assert.True(generator > 0 && engine > 0, $"generator {generator} µs, engine {engine} µs");
            Assert.Equal(result.CpuMicrosPerBooking, generator + engine, tolerance: 0.021); // two fields, each rounded to 0.01
            Assert.True(result.Generator!.EngineSeconds > 0 && result.Generator.EngineSeconds < result.Generator.LoopSeconds);

            // The engine calls were timed with the call clock, and the report says which one (its pace against the
            // Stopwatch: IntervalRecorderTests).
            Assert.Equal(CallClock.Source, root.GetProperty("machine").GetProperty("call_timer").GetString());
            Assert.True(root.GetProperty("engine_allocated_bytes_per_booking").GetDouble() >= 0);
            Assert.True(root.GetProperty("generator_allocated_bytes_per_booking").GetDouble() > 0, "the generator's ledger allocates");
            var setup = root.GetProperty("setup");
            foreach (var step in new[] { "country", "days_opened", "day_indexes", "citizens", "collection" })
            {
                Assert.True(setup.TryGetProperty(step, out _), "setup." + step);
            }

            var svgPath = Path.ChangeExtension(path, ".svg");
            SvgPlot.Write(svgPath, "t", "s", [("search", result.Stats.Latency[0]), ("hold", result.Stats.Latency[1])]);
            var svg = System.Xml.Linq.XDocument.Load(svgPath);
            Assert.Equal(2, svg.Descendants().Count(e => e.Name.LocalName == "polyline"));
            File.Delete(svgPath);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
