using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>Approval as time passes its deadline (<see cref="ApprovalPolicy.Mhrs"/>), on the fake clock.</summary>
public sealed class ApprovalTests
{
    private readonly TestWorld _world = new(o => o.Approval = ApprovalPolicy.Mhrs);

    /// <summary>Three days after <see cref="TestWorld.Today"/>: its deadline is 20:00 local two days after today.</summary>
    private static readonly DateOnly Day = TestWorld.Today.AddDays(3);

    private static readonly DateTimeOffset Deadline = new(Day.AddDays(-1).ToDateTime(new TimeOnly(20, 0)), TestWorld.Istanbul);

    private ClaimResult Book(CalendarKey key, int slot, int patient) =>
        _world.Engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(slot), _world.Patient(patient)));

    [Fact]
    public void Bookings_two_or_more_days_ahead_await_approval_and_nearer_ones_do_not()
    {
        var far = _world.Publish(TestWorld.P1, TestWorld.Today.AddDays(2));
        var near = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);

        var unapproved = Book(far, 0, 1);
        var approved = Book(near, 0, 1);

        Assert.Equal(new DateTimeOffset(TestWorld.Tomorrow.ToDateTime(new TimeOnly(20, 0)), TestWorld.Istanbul), unapproved.Reservation.HoldExpiresAt);
        Assert.True(approved.Succeeded);
        Assert.Null(approved.Reservation.HoldExpiresAt);
    }

    [Fact]
    public void An_approval_just_before_the_deadline_keeps_the_booking_and_an_unapproved_one_is_offered_again_at_it()
    {
        var key = _world.Publish(TestWorld.P1, Day);
        var kept = Book(key, 0, 1).Reservation;
        var lapsed = Book(key, 1, 2).Reservation;
        Assert.Equal(Deadline, kept.HoldExpiresAt);

        _world.Time.SetUtcNow(Deadline - TimeSpan.FromTicks(1));
        Assert.True(_world.Engine.TryApprove(kept).Succeeded);
        Assert.Equal(ClaimStatus.Taken, Book(key, 1, 3).Status);
        _world.Time.Advance(TimeSpan.FromTicks(1));

        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[0].Status);
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(key)[1].Status);
        Assert.Equal(ClaimStatus.Taken, Book(key, 0, 3).Status);
        var taker = Book(key, 1, 3);
        Assert.True(taker.Succeeded);
        Assert.Null(taker.Reservation.HoldExpiresAt); // made the day before: counts as approved
        Assert.Equal(ClaimStatus.ApprovalLapsed, _world.Engine.TryApprove(lapsed).Status);
        Assert.True(_world.Engine.TryApprove(kept).Succeeded);
    }
}
