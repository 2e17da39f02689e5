using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary><see cref="InMemorySlotEngine.IsAtActiveCap"/>: the advisory check a booking site makes before the search.</summary>
public sealed class ActiveCapCheckTests
{
    private static readonly TimeSpan HoldTime = TimeSpan.FromMinutes(10);

    [Fact]
    public void Is_at_the_cap_only_when_every_place_holds_a_booking_and_a_claim_then_is_refused()
    {
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = 2;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var patient = world.Patient(1);
        Assert.False(engine.IsAtActiveCap(patient)); // never claimed

        var hold = engine.TryClaim(ClaimRequest.Hold(calendar, SlotRange.Single(0), patient, HoldTime));
        var booked = engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(1), patient));
        Assert.True(hold.Succeeded && booked.Succeeded);
        Assert.False(engine.IsAtActiveCap(patient)); // a hold is judged by the claim, on its calendar
        Assert.Equal(ClaimStatus.ActiveLimitReached, engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(2), patient)).Status);

        var confirmed = engine.TryConfirm(hold.Reservation);
        Assert.True(confirmed.Succeeded);
        Assert.True(engine.IsAtActiveCap(patient)); // both places hold plain bookings of a day not past
        Assert.Equal(ClaimStatus.ActiveLimitReached, engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(2), patient)).Status);
        Assert.False(engine.IsAtActiveCap(world.Patient(2)));

        Assert.True(engine.TryRelease(booked.Reservation).Succeeded);
        Assert.False(engine.IsAtActiveCap(patient)); // a place is free again
        Assert.True(engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(2), patient)).Succeeded);
        Assert.True(engine.IsAtActiveCap(patient));

        world.Time.Advance(TimeSpan.FromDays(2)); // the bookings' day has passed: they no longer count
        Assert.False(engine.IsAtActiveCap(patient));
    }

    [Fact]
    public void Without_the_cap_nobody_is_at_it()
    {
        var world = new TestWorld(o => o.Quotas = QuotaPolicy.None);
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var patient = world.Patient(1);
        for (var slot = 0; slot < 5; slot++)
        {
            Assert.True(world.Engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(slot), patient)).Succeeded);
        }

        Assert.False(world.Engine.IsAtActiveCap(patient));
    }

    [Fact]
    public void A_booking_awaiting_approval_counts_until_its_deadline_then_the_claim_judges_it()
    {
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = 1;
            o.Quotas = QuotaPolicy.None;
            o.Approval = ApprovalPolicy.Mhrs; // two days ahead or more: awaiting approval until 20:00 the evening before
        });
        var engine = world.Engine;
        var day = TestWorld.Tomorrow.AddDays(2);
        var calendar = world.Publish(TestWorld.P1, day, TestWorld.Wide);
        var patient = world.Patient(1);
        var hold = engine.TryClaim(ClaimRequest.Hold(calendar, SlotRange.Single(5), patient, HoldTime));
        Assert.True(hold.Succeeded);
        Assert.False(engine.IsAtActiveCap(patient)); // a hold is never trusted, though it too expires later
        Assert.True(engine.TryRelease(hold.Reservation).Succeeded);

        var booked = engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(0), patient));
        Assert.True(booked.Succeeded && booked.Reservation.HoldExpiresAt is not null, booked.ToString());
        Assert.True(engine.IsAtActiveCap(patient));
        Assert.Equal(ClaimStatus.ActiveLimitReached, engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(1), patient)).Status);

        // Past the deadline the unapproved booking has lapsed: not trusted any more, and the claim finds it dead.
        world.Time.Advance(booked.Reservation.HoldExpiresAt!.Value - world.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        Assert.False(engine.IsAtActiveCap(patient));
        Assert.True(engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(1), patient)).Succeeded);
    }
}
