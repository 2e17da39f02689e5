using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    // Slot 0 of tomorrow starts at 08:00 Istanbul; the patient cutoff is 80 minutes before: 06:40.
    [Fact]
    public void Patient_can_cancel_up_to_80_minutes_before_the_start()
    {
        var key = Tomorrow(TestWorld.P1);
        var booking = _world.MustBook(key, 0, 1, 0);
        _world.Time.SetUtcNow(TestWorld.At(TestWorld.Tomorrow, 6, 40));
        Assert.True(_world.Engine.TryCancel(booking, CancelActor.Patient).Succeeded);
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(key)[0].Status);
    }

    [Fact]
    public void Patient_cannot_cancel_later_than_the_cutoff_but_an_administrator_can()
    {
        var key = Tomorrow(TestWorld.P1);
        var booking = _world.MustBook(key, 0, 2, 0);
        _world.Time.SetUtcNow(TestWorld.At(TestWorld.Tomorrow, 6, 40).AddTicks(1));
        var before = _world.Fingerprint(key);
        Assert.Equal(ClaimStatus.CancelTooLate, _world.Engine.TryCancel(booking, CancelActor.Patient).Status);
        Assert.Equal(before, _world.Fingerprint(key));
        Assert.True(_world.Engine.TryCancel(booking, CancelActor.Administrator).Succeeded);
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(key)[1].Status);
    }

    [Fact]
    public void Cutoff_is_measured_from_the_first_slot_of_the_reservation()
    {
        var key = Tomorrow(TestWorld.P1);
        var early = _world.MustBook(key, 24, 3, 0); // 13:00 to 13:30
        var late = _world.MustBook(_world.Publish(TestWorld.P3, TestWorld.Tomorrow), 30, 1, 0); // 14:00
        _world.Time.SetUtcNow(TestWorld.At(TestWorld.Tomorrow, 11, 41));
        Assert.Equal(ClaimStatus.CancelTooLate, _world.Engine.TryCancel(early, CancelActor.Patient).Status);
        Assert.True(_world.Engine.TryCancel(late, CancelActor.Patient).Succeeded);
    }

    [Fact]
    public void Cutoff_is_configurable()
    {
        var world = new TestWorld(o => o.PatientCancelCutoff = TimeSpan.FromMinutes(10));
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var booking = world.MustBook(key, 0, 1, 0);
        world.Time.SetUtcNow(TestWorld.At(TestWorld.Tomorrow, 7, 45));
        Assert.True(world.Engine.TryCancel(booking, CancelActor.Patient).Succeeded);
    }

    [Fact]
    public void A_hold_can_be_cancelled_by_the_patient_within_the_cutoff()
    {
        var world = new TestWorld(o => o.EarliestBookableDayOffset = 0);
        var today = world.Publish(TestWorld.P1, TestWorld.Today);
        var hold = world.MustHold(today, 7, 1, 0, minutes: 5); // 09:10, ten minutes from now
        Assert.True(world.Engine.TryCancel(hold, CancelActor.Patient).Succeeded);
        var booking = world.MustBook(today, 8, 1, 0);
        Assert.Equal(ClaimStatus.CancelTooLate, world.Engine.TryCancel(booking, CancelActor.Patient).Status);
    }

    [Fact]
    public void Cancelled_booking_is_stale_for_a_second_cancel()
    {
        var key = Tomorrow(TestWorld.P1);
        var booking = _world.MustBook(key, 0, 1, 0);
        Assert.True(_world.Engine.TryCancel(booking, CancelActor.Patient).Succeeded);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryCancel(booking, CancelActor.Administrator).Status);
    }
}
