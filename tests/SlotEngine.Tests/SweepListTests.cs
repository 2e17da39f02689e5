using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>The sweep visits the calendars its claims listed (InMemorySlotEngine.SweepList.cs), and misses none.</summary>
public class SweepListTests
{
    [Fact]
    public void A_calendar_still_holding_a_live_hold_is_swept_again_later()
    {
        var world = new TestWorld();
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var first = world.MustHold(key, 0, 1, 0, minutes: 5);
        var second = world.MustHold(key, 1, 1, 1, minutes: 20);

        world.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal([first], world.Engine.SweepExpiredHolds());

        world.Time.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal([second], world.Engine.SweepExpiredHolds());
        Assert.Empty(world.Engine.SweepExpiredHolds());
    }

    [Fact]
    public void A_calendar_published_again_is_swept_as_the_new_one()
    {
        var world = new TestWorld();
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        world.MustHold(key, 0, 1, 0, minutes: 5);
        world.Engine.Withdraw(key);
        world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var fresh = world.MustHold(key, 3, 1, 1, minutes: 5);

        world.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal([fresh], world.Engine.SweepExpiredHolds());
    }

    [Fact]
    public void Holds_made_while_sweeps_run_are_all_reclaimed_by_a_later_sweep()
    {
        // Two threads hold seats on 50 calendars while a third sweeps without pause and the clock moves on: whatever
        // the interleaving of a hold with the sweep that takes its calendar off the list, the calendar is listed again,
        // so one sweep after every hold has expired leaves no calendar with a hold.
        var world = new TestWorld();
        var days = Enumerable.Range(1, 10).Select(TestWorld.Today.AddDays).ToArray();
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4, TestWorld.P5 };
        var keys = providers.SelectMany(p => days.Select(d => world.Publish(p, d))).ToArray();
        var patients = Enumerable.Range(0, 4_000).Select(world.Patient).ToArray();
        var held = 0;
        var sweeping = true;
        var swept = 0;
        var sweeper = new Thread(() =>
        {
            var moved = TimeSpan.Zero;
            while (Volatile.Read(ref sweeping))
            {
                Interlocked.Add(ref swept, world.Engine.SweepExpiredHolds().Count);
                if (moved < TimeSpan.FromMinutes(30))
                {
                    // Holds expire while others are made (2-minute holds over up to 30 minutes).
                    world.Time.Advance(TimeSpan.FromSeconds(1));
                    moved += TimeSpan.FromSeconds(1);
                }
            }
        });
        sweeper.Start();
        Parallel.For(0, 2, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 2_000; i++)
            {
                var key = keys[random.Next(keys.Length)];
                var request = ClaimRequest.Hold(key, new SlotRange(random.Next(48), 1), patients[(worker * 2_000) + i], TimeSpan.FromMinutes(2));
                if (world.Engine.TryClaim(request).Succeeded)
                {
                    Interlocked.Increment(ref held);
                }
            }
        });
        Volatile.Write(ref sweeping, false);
        sweeper.Join();

        world.Time.Advance(TimeSpan.FromHours(1));
        swept += world.Engine.SweepExpiredHolds().Count;
        Assert.True(held > 0);
        Assert.True(swept > 0);
        foreach (var key in keys)
        {
            var calendar = world.Engine.Directory.GetProvider(key.Provider).GetCalendar(key.Day)!;
            Assert.False(calendar.HasHolds, $"{key} still has a hold after the last sweep");
        }

        world.AssertInvariants();
    }
}
