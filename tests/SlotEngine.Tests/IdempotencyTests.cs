using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public class IdempotencyTests
{
    private readonly TestWorld _world = new();

    [Fact]
    public void A_retried_hold_returns_the_first_reservation()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var first = _world.Hold(key, 4, 2, 0, key: "req-1");
        var before = _world.Fingerprint(key);
        var retry = _world.Hold(key, 4, 2, 0, key: "req-1");
        Assert.Equal(first, retry);
        Assert.Equal(before, _world.Fingerprint(key));
        Assert.Equal(46, _world.Engine.GetCalendar(key).FreeSeatCount);
    }

    [Fact]
    public void A_retried_book_returns_the_first_reservation_even_after_a_change()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var first = _world.Book(key, 4, 1, 0, key: "req-2");
        Assert.True(_world.Engine.TryRelease(first.Reservation).Succeeded);
        Assert.Equal(first, _world.Book(key, 4, 1, 0, key: "req-2"));
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(key)[4].Status);
    }

    [Theory]
    [InlineData(5, 2, 0, 10)] // other slots
    [InlineData(4, 1, 0, 10)] // other length
    [InlineData(4, 2, 1, 10)] // other patient
    [InlineData(4, 2, 0, 11)] // other time to live
    [InlineData(4, 2, 0, 0)] // a booking instead of a hold
    public void The_same_key_with_other_parameters_is_an_error(int first, int length, int patient, int minutes)
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var original = _world.Hold(key, 4, 2, 0, minutes: 10, key: "req-3");
        var before = _world.Fingerprint(key);
        var request = new ClaimRequest(key, new SlotRange(first, length), _world.Patient(patient), minutes == 0 ? null : TimeSpan.FromMinutes(minutes), "req-3");
        var error = Assert.Throws<SlotEngineArgumentException>(() => _world.Engine.TryClaim(request));
        Assert.Equal(SlotEngineError.IdempotencyKeyReused, error.Code);
        Assert.Contains("req-3", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, _world.Fingerprint(key));
        Assert.Equal(original, _world.Hold(key, 4, 2, 0, minutes: 10, key: "req-3"));
    }

    [Fact]
    public void The_same_key_on_another_calendar_is_an_error()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var other = _world.Publish(TestWorld.P4, TestWorld.Tomorrow);
        _world.Book(key, 4, 1, 0, key: "req-4");
        var error = Assert.Throws<SlotEngineArgumentException>(() => _world.Book(other, 4, 1, 0, key: "req-4"));
        Assert.Equal(SlotEngineError.IdempotencyKeyReused, error.Code);
        Assert.Equal(SlotStatus.Free, _world.Engine.GetCalendar(other)[4].Status);
    }

    [Fact]
    public void A_failed_first_attempt_leaves_the_key_free()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var blocker = _world.MustBook(key, 4, 1, 1);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 4, 1, 0, key: "req-5").Status);
        Assert.True(_world.Engine.TryRelease(blocker).Succeeded);
        var second = _world.Book(key, 4, 1, 0, key: "req-5");
        Assert.True(second.Succeeded);
        Assert.Equal(second, _world.Book(key, 4, 1, 0, key: "req-5"));
        Assert.Equal(_world.Patient(0), _world.Engine.GetCalendar(key)[4].Owner);
    }

    [Fact]
    public void Keys_are_forgotten_after_the_retention()
    {
        var world = new TestWorld(o => o.IdempotencyRetention = TimeSpan.FromMinutes(30));
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var first = world.Book(key, 4, 1, 0, key: "req-7");
        world.Time.Advance(TimeSpan.FromMinutes(30));
        var other = world.Book(key, 5, 1, 1, key: "req-7");
        Assert.True(other.Succeeded);
        Assert.NotEqual(first.Reservation.Token, other.Reservation.Token);
    }

    [Fact]
    public void Keys_are_independent()
    {
        var key = _world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.True(_world.Book(key, 4, 1, 0, key: "a").Succeeded);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 4, 1, 1, key: "b").Status);
    }
}
