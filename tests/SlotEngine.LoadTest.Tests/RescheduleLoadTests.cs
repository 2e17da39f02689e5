using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

public class RescheduleLoadTests
{
    [Fact]
    public async Task A_run_moves_some_bookings_and_leaves_none_half_done_and_reports_it()
    {
        var settings = new LoadSettings { Providers = 300, BookingsTarget = 3_000, Duration = null, Concurrency = 2, Citizens = 1_500, Seed = 5 };
        var result = await Runs.RunAsync(settings);
        Assert.True(result.Reschedule.Enabled);
        Assert.True(result.Reschedule.Reschedules > 0);
        Assert.Equal(0, result.Reschedule.HalfDone);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);

        var path = Runs.TempPath(".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal(result.Reschedule.Reschedules, json.RootElement.GetProperty("reschedules").GetInt64());
            Assert.Equal(0, json.RootElement.GetProperty("reschedule_half_done").GetInt64());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
