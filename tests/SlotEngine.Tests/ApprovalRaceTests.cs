using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// A confirm that leaves a hold awaiting approval (<see cref="ApprovalPolicy.Mhrs"/>) racing the hold's expiry and the
/// next hold on the same cell. A hold's expiry lives in a place of the day's table keyed by its cell, which the next
/// hold there reuses; a confirm reads the head, then the expiry. Preempted between the two, it once read the next hold's
/// expiry, raised that place to the approval deadline by CAS (the value matched), lost the head CAS and answered Stale:
/// the next hold, a plain one its patient never confirmed, then lived until the deadline with no audit record saying so
/// (CI: <c>audit_replay_mismatches 1</c> in RescheduleLoadTests).
/// </summary>
public sealed class ApprovalRaceTests
{
    /// <summary>Three days after <see cref="TestWorld.Today"/>: a confirm of a hold there awaits approval.</summary>
    private static readonly DateOnly Day = TestWorld.Today.AddDays(3);

    private static readonly DateTimeOffset Deadline = new(Day.AddDays(-1).ToDateTime(new TimeOnly(20, 0)), TestWorld.Istanbul);

#if DEBUG
    [Fact]
    public void A_confirm_preempted_while_its_hold_expires_and_the_cell_is_held_again_leaves_the_next_hold_as_it_was()
    {
        var world = new TestWorld(o => { o.Approval = ApprovalPolicy.Mhrs; o.Audit = true; });
        var engine = world.Engine;
        var key = world.Publish(TestWorld.P1, Day);
        var first = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(0), world.Patient(1), TimeSpan.FromMinutes(5))).Reservation;

        // The confirm has read "now" (the hold is live) and the head (the first hold's); then, before it reads the expiry,
        // the hold expires and another patient's claim reclaims it and holds the cell again.
        Reservation next = default;
        var confirmed = WhilePreempted(() => engine.TryConfirm(first), () =>
        {
            world.Time.Advance(TimeSpan.FromMinutes(6));
            next = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(0), world.Patient(2), TimeSpan.FromMinutes(5))).Reservation;
        });

        Assert.False(next.IsDefault);
        Assert.False(confirmed.Succeeded); // the first hold was gone when the confirm looked again
        var seat = engine.GetCalendar(key)[0];
        Assert.Equal((SlotStatus.Held, next.Token, next.HoldExpiresAt), (seat.Status, seat.Token, seat.HoldExpiresAt));
        Assert.False(seat.AwaitsApproval);
        Assert.NotEqual(Deadline, seat.HoldExpiresAt);

        // The next hold expires when it was told; the audit stream agrees with the engine before and after.
        AssertReplayAgrees(engine, key);
        world.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(SlotStatus.Free, engine.GetCalendar(key)[0].Status);
        AssertReplayAgrees(engine, key);
    }

    [Fact]
    public void A_confirm_preempted_while_its_hold_is_taken_over_still_leaves_a_live_hold_awaiting_approval_when_it_wins()
    {
        // The other side: nothing happens to the cell while the confirm is preempted, so the confirm wins and the hold now
        // awaits approval until the deadline (its expiry, as every reader sees it), with the record that says so.
        var world = new TestWorld(o => { o.Approval = ApprovalPolicy.Mhrs; o.Audit = true; });
        var engine = world.Engine;
        var key = world.Publish(TestWorld.P1, Day);
        var hold = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(0), world.Patient(1), TimeSpan.FromMinutes(5))).Reservation;
        var confirmed = WhilePreempted(() => engine.TryConfirm(hold), () =>
        {
            Assert.Equal(ClaimStatus.Taken, engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(0), world.Patient(2), TimeSpan.FromMinutes(5))).Status);
        });

        Assert.True(confirmed.Succeeded);
        Assert.Equal(Deadline, confirmed.Reservation.HoldExpiresAt);
        var seat = engine.GetCalendar(key)[0];
        Assert.Equal((SlotStatus.Held, hold.Token, (DateTimeOffset?)Deadline, true), (seat.Status, seat.Token, seat.HoldExpiresAt, seat.AwaitsApproval));

        world.Time.Advance(TimeSpan.FromMinutes(6)); // past the hold's own expiry: still awaiting approval
        Assert.Equal(ClaimStatus.Taken, engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(0), world.Patient(2), TimeSpan.FromMinutes(5))).Status);
        Assert.Equal(SlotStatus.Held, engine.GetCalendar(key)[0].Status);
        AssertReplayAgrees(engine, key);
        Assert.True(engine.TryApprove(confirmed.Reservation).Succeeded);
        AssertReplayAgrees(engine, key);
    }

    [Fact]
    public void An_approve_that_read_the_clock_before_the_deadline_wins_over_a_later_lapse_answer_and_the_booking_stays()
    {
        // Each call judges the deadline by its own clock reading, taken before its CAS; the CAS order decides the booking.
        // This approve read the clock a tick before the deadline; preempted, the clock reaches it and another approve
        // answers ApprovalLapsed (by its reading the deadline has passed; that answer releases nothing). The first approve's
        // head CAS then lands: the booking is approved and stays, and no sweep or claim releases it afterwards.
        var world = new TestWorld(o => o.Approval = ApprovalPolicy.Mhrs);
        var engine = world.Engine;
        var key = world.Publish(TestWorld.P1, Day);
        var booking = engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(0), world.Patient(1))).Reservation;
        Assert.Equal(Deadline, booking.HoldExpiresAt);
        world.Time.SetUtcNow(Deadline - TimeSpan.FromTicks(1));
        ClaimStatus later = default;
        var approved = WhilePreempted(() => engine.TryApprove(booking), () =>
        {
            world.Time.SetUtcNow(Deadline);
            later = engine.TryApprove(booking).Status;
        });

        Assert.Equal(ClaimStatus.ApprovalLapsed, later);
        Assert.True(approved.Succeeded);
        Assert.Null(approved.Reservation.HoldExpiresAt);
        engine.Sweep();
        Assert.Equal(0, engine.UnapprovedReleased);
        Assert.Equal(ClaimStatus.Taken, engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(0), world.Patient(2))).Status);
        Assert.True(engine.TryApprove(booking).Succeeded);
        var seat = engine.GetCalendar(key)[0];
        Assert.Equal((SlotStatus.Booked, booking.Token), (seat.Status, seat.Token));
    }

    [Fact]
    public void An_approve_that_read_the_clock_before_the_deadline_does_not_approve_a_booking_a_sweep_released_meanwhile()
    {
        // The other order: while the approve is preempted the clock reaches the deadline and a sweep releases the booking.
        // The approve's head CAS fails on the released head, so it does not answer Succeeded: never approved and released.
        var world = new TestWorld(o => o.Approval = ApprovalPolicy.Mhrs);
        var engine = world.Engine;
        var key = world.Publish(TestWorld.P1, Day);
        var booking = engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(0), world.Patient(1))).Reservation;
        world.Time.SetUtcNow(Deadline - TimeSpan.FromTicks(1));
        var approved = WhilePreempted(() => engine.TryApprove(booking), () =>
        {
            world.Time.SetUtcNow(Deadline);
            engine.Sweep();
        });

        Assert.False(approved.Succeeded);
        Assert.Equal(1, engine.UnapprovedReleased);
        Assert.Equal(SlotStatus.Free, engine.GetCalendar(key)[0].Status);
        Assert.Equal(ClaimStatus.ApprovalLapsed, engine.TryApprove(booking).Status);
        Assert.True(engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(0), world.Patient(2))).Succeeded);
    }

    /// <summary>
    /// Runs <paramref name="call"/> (a confirm or an approve) with <paramref name="meanwhile"/> run once, as if by another
    /// thread, after the call has read the claim's head cell and before its CAS (<see cref="Calendar.AfterConfirmReadsHead"/>).
    /// </summary>
    private static ClaimResult WhilePreempted(Func<ClaimResult> call, Action meanwhile)
    {
        Calendar.AfterConfirmReadsHead = () =>
        {
            Calendar.AfterConfirmReadsHead = null;
            meanwhile();
        };
        try
        {
            return call();
        }
        finally
        {
            Calendar.AfterConfirmReadsHead = null;
        }
    }
#endif

    private static void AssertReplayAgrees(InMemorySlotEngine engine, CalendarKey key)
    {
        var replay = AuditReading.ReplayAll(engine);
        Assert.Empty(replay.Compare(engine.GetCalendar(key), engine.Options.TimeProvider.GetUtcNow()));
    }
}
