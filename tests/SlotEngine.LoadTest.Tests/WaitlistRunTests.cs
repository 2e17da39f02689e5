using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The waitlist in a small nationwide run: wishes registered at the hot clinic, offers made and answered, FIFO kept, the JSON fields written.</summary>
public class WaitlistRunTests
{
    [Fact]
    public async Task A_small_run_registers_wishes_makes_offers_in_FIFO_order_and_reports_them()
    {
        var result = await Runs.RunAsync(new LoadSettings { Providers = 300, BookingsTarget = 6_000, Duration = null, Concurrency = 2, Citizens = 3_000, Seed = 7 });
        var waitlist = result.Waitlist;

        Assert.True(waitlist.Enabled);
        Assert.True(waitlist.Registered > 0, "no wish registered");
        Assert.True(waitlist.OffersMade > 0, "no offer made");
        Assert.Equal(waitlist.OffersMade, waitlist.OffersAccepted + waitlist.OffersLapsed);
        Assert.True(waitlist.OffersAccepted > 0 && waitlist.OffersLapsed > 0, $"accepted {waitlist.OffersAccepted}, lapsed {waitlist.OffersLapsed}");
        Assert.Equal(waitlist.OffersMade, waitlist.OfferLatency!.TotalCount);
        Assert.Equal(0, waitlist.FifoViolations);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);

        // The sweeper runs on the scenario clock once lapsed offers have ended; whether one ends before so short a run does
        // depends on thread timing (it failed on a loaded machine with 0 sweeps and 0 errors), so this run checks only its
        // accounting. SweeperTests checks deterministically that a lapse makes a sweep due and what a sweep counts.
        Assert.NotNull(waitlist.Sweeper);
        var sweeper = waitlist.Sweeper;
        Assert.Equal(0, sweeper.Errors);

        // A sweep reclaims only holds nobody confirmed: a walk-away, an offer (made by the engine), or a hold whose confirm failed.
        var unconfirmed = result.Stats.WalkAways + waitlist.OffersMade + Enum.GetValues<FailureReason>().Sum(reason => result.Stats.Failures(Operation.Confirm, reason));
        Assert.InRange(sweeper.HoldsReclaimed, 0, sweeper.Sweeps == 0 ? 0 : unconfirmed);
        Assert.InRange(waitlist.LapsedSwept, 0, Math.Min(waitlist.OffersLapsed, sweeper.HoldsReclaimed));
        Assert.InRange(waitlist.Reoffered, 0, waitlist.OffersMade);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);

        var path = Runs.TempPath(".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            Assert.Equal(waitlist.Registered, root.GetProperty("waitlist_registered").GetInt64());
            Assert.Equal(waitlist.OffersMade, root.GetProperty("offers_made").GetInt64());
            Assert.Equal(waitlist.OffersAccepted, root.GetProperty("offers_accepted").GetInt64());
            Assert.Equal(waitlist.OffersLapsed, root.GetProperty("offers_lapsed").GetInt64());
            Assert.Equal(0, root.GetProperty("fifo_violations").GetInt64());
            Assert.Equal(waitlist.LapsedSwept, root.GetProperty("offers_lapsed_swept").GetInt64());
            Assert.Equal(waitlist.Reoffered, root.GetProperty("offers_reoffered").GetInt64());
            Assert.Equal(sweeper.Sweeps, root.GetProperty("sweeper").GetProperty("sweeps").GetInt64());
            Assert.Equal(sweeper.HoldsReclaimed, root.GetProperty("sweeper").GetProperty("holds_reclaimed").GetInt64());
            var latency = root.GetProperty("offer_latency");
            Assert.True(latency.GetProperty("p50").GetDouble() <= latency.GetProperty("p99").GetDouble());
            Assert.True(latency.GetProperty("p99").GetDouble() <= latency.GetProperty("max").GetDouble());
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileNameWithoutExtension(path) + "*"))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task The_waitlist_is_off_with_no_waitlist()
    {
        var result = await Runs.RunAsync(new LoadSettings { Providers = 200, BookingsTarget = 1_000, Duration = null, Concurrency = 2, Citizens = 1_000, Waitlist = false });

        Assert.False(result.Waitlist.Enabled);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.ExitCode);
    }
}
