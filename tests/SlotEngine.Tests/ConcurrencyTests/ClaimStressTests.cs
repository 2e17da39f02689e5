using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>
/// Threads released together hammer the same calendars (a 144-slot day, a 144-slot day with three
/// seats) and their neighbours (another provider, another day) with multi-word holds, books,
/// confirms, releases, cancels and blocks; then the history and the final state are checked.
/// </summary>
[Trait("Category", "Scan")]
public class ClaimStressTests
{
    private const int OperationsPerThread = 15_000;

    [Fact]
    public void Concurrent_claims_never_overlap_and_account_exactly()
    {
        var (world, calendars) = Setup();
        var driver = new StressDriver(world, calendars, StressDriver.ThreadCount);
        driver.Run(OperationsPerThread);
        Verify(world, calendars, driver);
    }

    [Fact]
    public void Expiring_holds_taken_lazily_and_by_a_sweeper_never_overlap()
    {
        var (world, calendars) = Setup();
        var driver = new StressDriver(world, calendars, StressDriver.ThreadCount) { HoldMinutes = [0, 1, 2, 3] };
        driver.Run(OperationsPerThread, moveClock: true, sweep: true);
        Verify(world, calendars, driver);
    }

    private static (TestWorld World, CalendarKey[] Calendars) Setup()
    {
        var world = new TestWorld(o => { o.Quotas = QuotaPolicy.None; o.BookingHorizonDays = 30; });
        var calendars = new[]
        {
            world.Publish(TestWorld.P2, TestWorld.Tomorrow, TestWorld.Wide),
            world.Publish(TestWorld.P4, TestWorld.Tomorrow, TestWorld.Template(5, 3, "07:00-19:00")),
            world.Publish(TestWorld.P1, TestWorld.Tomorrow),
            world.Publish(TestWorld.P2, TestWorld.Today.AddDays(2), TestWorld.Wide),
        };
        return (world, calendars);
    }

    private static void Verify(TestWorld world, CalendarKey[] calendars, StressDriver driver)
    {
        var events = driver.History.All();
        var checker = new HistoryChecker(events);
        Assert.True(checker.Claims.Count() > 500, $"only {checker.Claims.Count()} claims succeeded: the stress did not stress");
        Assert.Contains(checker.Claims, c => c.Claim.Reservation.Slots.First < 64 && c.Claim.Reservation.Slots.End > 64);
        Assert.Contains(checker.Claims, c => c.Claim.Reservation.Seat > 0);
        checker.CheckNoTwoOwners();
        world.AssertInvariants();

        var now = world.Time.GetUtcNow().UtcTicks;
        var snapshots = calendars.ToDictionary(c => c, world.Engine.GetCalendar);
        checker.CheckFinalState(snapshots, now);
        foreach (var (key, snapshot) in snapshots)
        {
            Assert.DoesNotContain(HistoryChecker.Seats(snapshot), v => v.Status == SlotStatus.Closed); // every block was reopened
            Assert.Equal(snapshot.FreeSeatCount, world.Engine.GetFreeCounts(key.Provider, key.Day, key.Day)[0].FreeSeats);
        }

        // Quiet now: every live claim can still be released, and then every calendar is free.
        foreach (var claim in checker.LiveAt(now))
        {
            Assert.True(world.Engine.TryRelease(claim.Claim.Reservation).Succeeded, claim.Claim.Reservation.ToString());
        }

        world.Engine.SweepExpiredHolds();
        foreach (var key in calendars)
        {
            var snapshot = world.Engine.GetCalendar(key);
            var left = HistoryChecker.Seats(snapshot).Where(v => v.Status != SlotStatus.Free).ToList();
            Assert.True(left.Count == 0, $"{key} after releasing every live claim: {left.Count} seats not free, such as {left.FirstOrDefault()}");
        }

        world.AssertInvariants();
    }
}
