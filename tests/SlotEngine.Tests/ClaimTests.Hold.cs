using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    private readonly TestWorld _world = new();

    private CalendarKey Tomorrow(ProviderId provider, DayTemplate? template = null) => _world.Publish(provider, TestWorld.Tomorrow, template);

    [Fact]
    public void Hold_returns_a_reservation_and_shows_as_held()
    {
        var key = Tomorrow(TestWorld.P1);
        var result = _world.Hold(key, 10, 2, 0, minutes: 7);
        Assert.True(result.Succeeded);
        var r = result.Reservation;
        Assert.Equal(key, r.Calendar);
        Assert.Equal(new SlotRange(10, 2), r.Slots);
        Assert.Equal(0, r.Seat);
        Assert.True(r.Token > 0);
        Assert.Equal(_world.Patient(0), r.Patient);
        Assert.Equal(TestWorld.Start.AddMinutes(7), r.HoldExpiresAt);
        Assert.True(r.IsHold);
        var snapshot = _world.Engine.GetCalendar(key);
        foreach (var slot in new[] { 10, 11 })
        {
            Assert.Equal(new SeatView(SlotStatus.Held, _world.Patient(0), r.Token, r.HoldExpiresAt), snapshot[slot]);
        }

        Assert.Equal(SlotStatus.Free, snapshot[9].Status);
        Assert.Equal(SlotStatus.Free, snapshot[12].Status);
        Assert.Equal(46, snapshot.FreeSeatCount);
    }

    [Fact]
    public void Confirm_turns_a_hold_into_a_booking_and_is_repeatable()
    {
        var key = Tomorrow(TestWorld.P1);
        var hold = _world.MustHold(key, 3, 3, 0);
        var booked = _world.Engine.TryConfirm(hold);
        Assert.True(booked.Succeeded);
        Assert.Equal(hold with { HoldExpiresAt = null }, booked.Reservation);
        Assert.False(booked.Reservation.IsHold);
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.All(new[] { 3, 4, 5 }, s => Assert.Equal(new SeatView(SlotStatus.Booked, _world.Patient(0), hold.Token, null), snapshot[s]));
        Assert.True(_world.Engine.TryConfirm(hold).Succeeded);
        Assert.True(_world.Engine.TryConfirm(booked.Reservation).Succeeded);
        _world.Time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[4].Status);
    }

    [Fact]
    public void Book_claims_directly()
    {
        var key = Tomorrow(TestWorld.P1);
        var booking = _world.MustBook(key, 0, 1, 0);
        Assert.Null(booking.HoldExpiresAt);
        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[0].Status);
        Assert.True(_world.Engine.TryConfirm(booking).Succeeded);
    }

    [Fact]
    public void A_claimed_slot_is_taken_for_everyone_else()
    {
        var key = Tomorrow(TestWorld.P1);
        _world.MustHold(key, 5, 3, 0);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 7, 1, 1).Status);
        Assert.Equal(ClaimStatus.Taken, _world.Hold(key, 4, 2, 1).Status);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 0, 10, 1).Status);
        Assert.True(_world.Book(key, 8, 1, 1).Succeeded);
    }

    [Fact]
    public void Release_frees_a_hold_or_a_booking()
    {
        var key = Tomorrow(TestWorld.P1);
        var hold = _world.MustHold(key, 5, 2, 0);
        Assert.Equal(ClaimResult.Success(hold), _world.Engine.TryRelease(hold));
        Assert.Equal(48, _world.Engine.GetCalendar(key).FreeSeatCount);
        var booking = _world.MustBook(key, 5, 2, 1);
        Assert.True(_world.Engine.TryRelease(booking).Succeeded);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(booking).Status);
        Assert.Equal(48, _world.Engine.GetCalendar(key).FreeSeatCount);
    }

    [Fact]
    public async Task Async_twins_give_the_same_results()
    {
        ISlotEngine engine = _world.Engine;
        var key = new CalendarKey(TestWorld.P1, TestWorld.Tomorrow);
        await engine.PublishAsync(TestWorld.P1, TestWorld.Tomorrow, DayTemplate.Standard);
        var hold = await engine.ClaimAsync(ClaimRequest.Hold(key, new SlotRange(1, 1), _world.Patient(0), TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded);
        Assert.True((await engine.ConfirmAsync(hold.Reservation)).Succeeded);
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(key))[1].Status);
        Assert.True((await engine.CancelAsync(hold.Reservation, CancelActor.Patient)).Succeeded);
        Assert.Equal(ClaimStatus.Stale, (await engine.ReleaseAsync(hold.Reservation)).Status);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.Throws<OperationCanceledException>(() => engine.ClaimAsync(ClaimRequest.Book(key, new SlotRange(1, 1), _world.Patient(0)), cancelled.Token));
        Assert.Equal(SlotStatus.Free, (await engine.GetCalendarAsync(key))[1].Status);
    }
}
