using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// A run with a few citizens and a bookings target alone: in memory the scenario clock follows the bookings, so once the
/// admission rate (five claims a scenario minute per citizen) refuses every claim, no booking moves the clock and the run
/// spun for ever. It now stops with a stall that says why (exit code 3).
/// </summary>
public class StallTests
{
    [Fact]
    public async Task A_run_whose_claims_are_all_refused_while_the_clock_waits_for_bookings_stops_and_says_why()
    {
        // 100 citizens for 2,000 bookings: the rush wants 600 bookings in two scenario minutes, and the citizens have used
        // their five claims a minute pressing for the new day. Before the fix this run sat at ~170 bookings for ever.
        var settings = new LoadSettings { Providers = 200, BookingsTarget = 2_000, Duration = null, Concurrency = 2, Citizens = 100, Seed = 42 };

        // A safety net only (the assertion is that the run stopped by itself, not when it did): a run that never ends is
        // cancelled after it, reports Interrupted, and fails below.
        using var safety = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var result = await LoadRun.ExecuteAsync(settings, Runs.Quiet(), safety.Token);
        Assert.NotNull(result);
        Assert.False(result.Interrupted);
        Assert.NotNull(result.Stalled);
        Assert.InRange(result.Stats.Bookings, 0, settings.BookingsTarget!.Value - 1);
        Assert.True(result.Rush.RefusedRate > 0);
        Assert.Contains("admission rate", result.Stalled, StringComparison.Ordinal);
        Assert.Contains("--citizens", result.Stalled, StringComparison.Ordinal);

        // The engine still agrees with the ledger: a stall is the scenario's, not a broken invariant.
        Assert.Empty(result.Failures);
        Assert.Equal(RunResult.StalledExitCode, result.ExitCode);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);

        var path = Runs.TempPath(".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal(result.Stalled, json.RootElement.GetProperty("stalled").GetString());
            Assert.Equal(RunResult.StalledExitCode, json.RootElement.GetProperty("exit_code").GetInt32());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_run_with_enough_citizens_for_its_target_does_not_stall()
    {
        var settings = new LoadSettings { Providers = 200, BookingsTarget = 2_000, Duration = null, Concurrency = 2, Citizens = 1_200, Seed = 42 };
        var result = await Runs.RunAsync(settings);
        Assert.Null(result.Stalled);
        Assert.True(result.Stats.Bookings >= 2_000);
        Assert.Equal(0, result.ExitCode);
    }
}
