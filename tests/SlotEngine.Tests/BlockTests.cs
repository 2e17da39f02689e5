using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public class BlockTests
{
    private readonly TestWorld _world = new();

    [Fact]
    public void Block_closes_free_slots_and_returns_displaced_holds_and_bookings()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var hold = _world.MustHold(key, 3, 2, 0);
        var booking = _world.MustBook(key, 6, 1, 1);
        var outside = _world.MustBook(key, 10, 1, 2);
        var result = _world.Engine.Block(key, new SlotRange(2, 6));

        Assert.Equal(6, result.ClosedSeats);
        Assert.Equal([new DisplacedClaim(hold, false), new DisplacedClaim(booking, true)], result.Displaced);
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.All(Enumerable.Range(2, 6), s => Assert.Equal(SlotStatus.Closed, snapshot[s].Status));
        Assert.Equal(SlotStatus.Booked, snapshot[10].Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryConfirm(hold).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(booking).Status);
        Assert.Equal(ClaimStatus.Closed, _world.Book(key, 2, 1, 3).Status);
        Assert.True(_world.Engine.TryRelease(outside).Succeeded);
    }

    [Fact]
    public void A_claim_partly_inside_the_block_is_removed_whole()
    {
        var key = _world.Publish(TestWorld.P2, TestWorld.Tomorrow, TestWorld.Wide);
        var claim = _world.MustHold(key, 60, 8, 0);
        var result = _world.Engine.Block(key, new SlotRange(64, 10));
        Assert.Equal(10, result.ClosedSeats);
        Assert.Equal(claim, Assert.Single(result.Displaced).Reservation);
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.All(Enumerable.Range(60, 4), s => Assert.Equal(SlotStatus.Free, snapshot[s].Status));
        Assert.All(Enumerable.Range(64, 10), s => Assert.Equal(SlotStatus.Closed, snapshot[s].Status));
        Assert.Equal(134, snapshot.FreeSeatCount);
    }

    [Fact]
    public void Block_does_not_report_an_expired_hold()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _world.MustHold(key, 3, 1, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        var result = _world.Engine.Block(key, new SlotRange(3, 1));
        Assert.Equal(1, result.ClosedSeats);
        Assert.Empty(result.Displaced);
        Assert.Empty(_world.Engine.SweepExpiredHolds());
    }

    [Fact]
    public void Blocking_closed_slots_again_closes_nothing()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.Equal(4, _world.Engine.Block(key, new SlotRange(0, 4)).ClosedSeats);
        Assert.Equal(2, _world.Engine.Block(key, new SlotRange(2, 4)).ClosedSeats);
    }

    [Fact]
    public void Reopen_opens_closed_slots_again()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _world.Engine.Block(key, new SlotRange(20, 8)); // crosses the lunch break: blocks may
        Assert.Equal(3, _world.Engine.Reopen(key, new SlotRange(21, 3)));
        Assert.Equal(0, _world.Engine.Reopen(key, new SlotRange(21, 3)));
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.Equal(SlotStatus.Closed, snapshot[20].Status);
        Assert.Equal(SlotStatus.Free, snapshot[22].Status);
        Assert.Equal(SlotStatus.Closed, snapshot[24].Status);
        Assert.True(_world.Book(key, 21, 3, 0).Succeeded);
        Assert.Equal(0, _world.Engine.Reopen(key, new SlotRange(30, 5)));
    }

    [Fact]
    public void Withdraw_returns_every_claim_and_unpublishes_the_day()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var hold = _world.MustHold(key, 0, 1, 0);
        var booking = _world.Engine.TryConfirm(_world.MustHold(key, 40, 2, 1)).Reservation;
        var result = _world.Engine.Withdraw(key);
        Assert.Equal(48, result.ClosedSeats);
        Assert.Equal([new DisplacedClaim(hold, false), new DisplacedClaim(booking, true)], result.Displaced);
        Assert.Equal(SlotEngineError.DayNotPublished, Assert.Throws<SlotEngineArgumentException>(() => _world.Engine.GetCalendar(key)).Code);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(booking).Status);
        Assert.Empty(_world.Engine.GetFreeCounts(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Tomorrow));
        Assert.Empty(_world.Engine.FindEarliest(EarliestQuery.ForClinic(TestWorld.C10, TestWorld.Tomorrow, TestWorld.Tomorrow)));
        _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.Equal(48, _world.Engine.GetCalendar(key).FreeSeatCount);
    }

    [Fact]
    public void Publishing_again_with_the_same_template_does_nothing()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        _world.MustBook(key, 0, 1, 0);
        Assert.False(_world.Engine.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Template(10, 1, "08:00-12:00", "13:00-17:00")));
        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[0].Status);
    }
}
