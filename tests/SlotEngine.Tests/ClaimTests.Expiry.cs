using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    [Fact]
    public void An_expired_hold_reads_as_free_and_is_taken_by_the_next_claim()
    {
        var key = Tomorrow(TestWorld.P1);
        var hold = _world.MustHold(key, 4, 3, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromTicks(1));
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 5, 1, 1).Status);
        _world.Time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(key)[5].Status);
        var taker = _world.Book(key, 5, 1, 1);
        Assert.True(taker.Succeeded);
        Assert.True(taker.Reservation.Token > hold.Token);
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.Equal(SlotStatus.Free, snapshot[4].Status);
        Assert.Equal(SlotStatus.Booked, snapshot[5].Status);
        Assert.Equal(SlotStatus.Free, snapshot[6].Status);
    }

    [Fact]
    public void Confirming_an_expired_hold_fails_even_before_anyone_retakes_it()
    {
        var key = Tomorrow(TestWorld.P1);
        var hold = _world.MustHold(key, 4, 1, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(ClaimStatus.HoldExpired, _world.Engine.TryConfirm(hold).Status);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(hold).Status);
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(key)[4].Status);
    }

    [Fact]
    public void An_expired_hold_no_longer_counts_for_the_quota()
    {
        var key = Tomorrow(TestWorld.P1);
        _world.MustHold(key, 4, 1, 0, minutes: 5);
        Assert.Equal(ClaimStatus.QuotaExceeded, _world.Book(key, 10, 1, 0).Status);
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(_world.Book(key, 10, 1, 0).Succeeded);
    }

    [Fact]
    public void Sweeper_reports_exactly_the_expired_holds_it_reclaimed()
    {
        var key = Tomorrow(TestWorld.P1);
        var other = Tomorrow(TestWorld.P4, TestWorld.Wide);
        var a = _world.MustHold(key, 0, 2, 0, minutes: 5);
        var b = _world.MustHold(other, 62, 4, 1, minutes: 5);
        var live = _world.MustHold(key, 10, 1, 2, minutes: 20);
        var booked = _world.Engine.TryConfirm(_world.MustHold(key, 20, 1, 3, minutes: 5)).Reservation;
        _world.Time.Advance(TimeSpan.FromMinutes(10));

        var reclaimed = _world.Engine.SweepExpiredHolds();
        Assert.Equal(new[] { a, b }.OrderBy(r => r.Calendar.Provider.Value), reclaimed.OrderBy(r => r.Calendar.Provider.Value));
        Assert.Empty(_world.Engine.SweepExpiredHolds());
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.Equal(SlotStatus.Held, snapshot[10].Status);
        Assert.Equal(SlotStatus.Booked, snapshot[20].Status);
        Assert.Equal(46, snapshot.FreeSeatCount);
        Assert.Equal(144, _world.Engine.GetCalendar(other).FreeSeatCount);
        Assert.Equal(ClaimStatus.HoldExpired, _world.Engine.TryConfirm(a).Status);
        Assert.True(_world.Engine.TryConfirm(live).Succeeded);
        Assert.True(_world.Engine.TryRelease(booked).Succeeded);
    }

    [Fact]
    public void Sweeper_does_not_report_a_hold_a_claim_already_took()
    {
        var key = Tomorrow(TestWorld.P1);
        _world.MustHold(key, 0, 1, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        _world.MustBook(key, 0, 1, 1);
        Assert.Empty(_world.Engine.SweepExpiredHolds());
    }

    [Fact]
    public void Hold_time_to_live_is_bounded_by_the_options()
    {
        var world = new TestWorld(o => o.MaxHoldDuration = TimeSpan.FromMinutes(2));
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.True(world.Hold(key, 0, 1, 0, minutes: 2).Succeeded);
        var error = Assert.Throws<SlotEngineArgumentException>(() => world.Hold(key, 1, 1, 1, minutes: 3));
        Assert.Equal(SlotEngineError.InvalidHoldDuration, error.Code);
    }
}
