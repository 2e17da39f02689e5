using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>The sweep visits the calendars its claims marked (InMemorySlotEngine.SweepList.cs: a day bit per provider, a list of providers), and misses none.</summary>
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
    public void Two_days_of_one_provider_that_share_a_day_bit_are_both_swept()
    {
        // Days 32 apart have the same bit (day number mod 32): the sweep takes the bit once and looks at both calendars,
        // and the one whose hold is still live keeps the bit for the next sweep.
        var world = new TestWorld(o => o.BookingHorizonDays = 60);
        var near = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var far = world.Publish(TestWorld.P1, TestWorld.Tomorrow.AddDays(32));
        Assert.Equal(ProviderEntry.HoldDayBit(near.Day), ProviderEntry.HoldDayBit(far.Day));
        var early = world.MustHold(near, 0, 1, 0, minutes: 5);
        var late = world.MustHold(far, 0, 1, 1, minutes: 20);

        world.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal([early], world.Engine.SweepExpiredHolds());

        world.Time.Advance(TimeSpan.FromMinutes(15));
        Assert.Equal([late], world.Engine.SweepExpiredHolds());
        Assert.Empty(world.Engine.SweepExpiredHolds());
    }

    [Fact]
    public void A_random_run_sweeps_what_a_walk_of_every_calendar_would()
    {
        // Model: after each step (hold, book, release, clock moves, sweep), a sweep reclaims only holds that were due, and
        // afterwards a walk of every open calendar finds no expired hold left (a claim may have reclaimed some lazily
        // before: those the sweep does not report). Days 32 apart share a provider's day bit.
        var world = new TestWorld(o => o.BookingHorizonDays = 60);
        var days = new[] { TestWorld.Tomorrow, TestWorld.Tomorrow.AddDays(1), TestWorld.Tomorrow.AddDays(32), TestWorld.Tomorrow.AddDays(33) };
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3 };
        var keys = providers.SelectMany(p => days.Select(d => world.Publish(p, d))).ToArray();
        var random = new Random(13);
        var expiries = new Dictionary<Reservation, DateTimeOffset>();
        var sweeps = 0;
        var reclaimed = 0;
        var removed = new List<RemovedClaim>();
        for (var step = 0; step < 800; step++)
        {
            var key = keys[random.Next(keys.Length)];
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    var minutes = 1 + random.Next(15);
                    var hold = world.Hold(key, random.Next(48), 1, step, minutes);
                    if (hold.Succeeded)
                    {
                        expiries[hold.Reservation] = world.Time.GetUtcNow().AddMinutes(minutes);
                    }

                    break;
                case 2:
                    world.Book(key, random.Next(48), 1, step);
                    break;
                case 3 when expiries.Count > 0:
                    var released = expiries.Keys.ElementAt(random.Next(expiries.Count));
                    if (world.Engine.TryRelease(released).Succeeded)
                    {
                        // Not when it had expired: then it is left for the sweep (or a claim) to reclaim.
                        expiries.Remove(released);
                    }
                    break;
                case 4:
                    world.Time.Advance(TimeSpan.FromMinutes(random.Next(4)));
                    break;
                default:
                    var now = world.Time.GetUtcNow();
                    var swept = world.Engine.SweepExpiredHolds();
                    sweeps++;
                    reclaimed += swept.Count;
                    Assert.All(swept, r => Assert.True(expiries.TryGetValue(r, out var expiry) && expiry <= now, $"{r} swept before it was due"));
                    foreach (var r in swept)
                    {
                        expiries.Remove(r);
                    }

                    foreach (var k in keys)
                    {
                        removed.Clear();
                        world.Engine.Directory.GetProvider(k.Provider).GetCalendar(k.Day)!.ReclaimExpiredHolds(now.UtcTicks, removed);
                        Assert.True(removed.Count == 0, $"{k}: the sweep missed {removed.Count} expired hold(s)");
                    }

                    break;
            }
        }

        world.Time.Advance(TimeSpan.FromHours(1));
        world.Engine.SweepExpiredHolds();
        Assert.True(sweeps > 50 && reclaimed > 0);
        Assert.All(keys, k => Assert.False(world.Engine.Directory.GetProvider(k.Provider).GetCalendar(k.Day)!.HasHolds));
        world.AssertInvariants();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Holds_made_while_sweeps_run_are_all_reclaimed_by_a_later_sweep(bool daysShareBits)
    {
        // Two threads hold seats on 50 calendars while a third sweeps without pause and the clock moves on: whatever
        // the interleaving of a hold with the sweep that takes its calendar off the list, the calendar is listed again,
        // so one sweep after every hold has expired leaves no calendar with a hold.
        // With daysShareBits, half the days are 32 after the other half: two calendars of a provider under each day bit.
        var world = new TestWorld(o => o.BookingHorizonDays = 60);
        var days = daysShareBits
            ? Enumerable.Range(1, 5).Concat(Enumerable.Range(33, 5)).Select(TestWorld.Today.AddDays).ToArray()
            : Enumerable.Range(1, 10).Select(TestWorld.Today.AddDays).ToArray();
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4, TestWorld.P5 };
        var keys = providers.SelectMany(p => days.Select(d => world.Publish(p, d))).ToArray();
        var swept = 0;
        var held = HoldsWhileSweeping.Run(world, keys, slots: 48, () => swept += world.Engine.SweepExpiredHolds().Count);

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
