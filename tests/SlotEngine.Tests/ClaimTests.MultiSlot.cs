using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    [Theory]
    [Trait("Category", "Scan")]
    [InlineData(60, 11)]
    [InlineData(63, 2)]
    [InlineData(64, 1)]
    [InlineData(0, 64)]
    [InlineData(120, 24)]
    [InlineData(50, 90)]
    [InlineData(0, 144)]
    public void Claims_across_word_boundaries_take_every_slot(int first, int length)
    {
        var key = Tomorrow(TestWorld.P2, TestWorld.Wide);
        var r = _world.MustHold(key, first, length, 0);
        var snapshot = _world.Engine.GetCalendar(key);
        for (var slot = 0; slot < 144; slot++)
        {
            var expected = slot >= first && slot < first + length ? SlotStatus.Held : SlotStatus.Free;
            Assert.Equal(expected, snapshot[slot].Status);
        }

        Assert.Equal(144 - length, snapshot.FreeSeatCount);
        Assert.Equal(144 - length, _world.Engine.GetFreeCounts(TestWorld.P2, TestWorld.Tomorrow, TestWorld.Tomorrow)[0].FreeSeats);
        Assert.True(_world.Engine.TryConfirm(r).Succeeded);
        Assert.All(Enumerable.Range(first, length), s => Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[s].Status));
        Assert.True(_world.Engine.TryRelease(r).Succeeded);
        Assert.Equal(144, _world.Engine.GetCalendar(key).FreeSeatCount);
    }

    [Fact]
    [Trait("Category", "Scan")]
    public void A_failed_multi_word_claim_leaves_nothing_behind()
    {
        var key = Tomorrow(TestWorld.P2, TestWorld.Wide);
        _world.MustBook(key, 70, 1, 0); // in the second word
        var before = _world.Fingerprint(key);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 60, 11, 1).Status);
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 10, 120, 1).Status);
        Assert.Equal(before, _world.Fingerprint(key));
        Assert.True(_world.Book(key, 60, 10, 1).Succeeded); // 60..69: the bits of the first word were given back
    }

    [Fact]
    [Trait("Category", "Scan")]
    public void A_claim_meets_an_expired_hold_in_a_later_word_and_takes_it()
    {
        var key = Tomorrow(TestWorld.P2, TestWorld.Wide);
        _world.MustHold(key, 127, 3, 0, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        var r = _world.MustBook(key, 100, 40, 1);
        Assert.Equal(new SlotRange(100, 40), r.Slots);
        Assert.Equal(104, _world.Engine.GetCalendar(key).FreeSeatCount);
    }

    [Fact]
    public void A_claim_cannot_cross_from_one_session_into_the_next()
    {
        var key = Tomorrow(TestWorld.P1);
        var error = Assert.Throws<SlotEngineArgumentException>(() => _world.Book(key, 23, 2, 0));
        Assert.Equal(SlotEngineError.CrossesSession, error.Code);
        Assert.True(_world.Book(key, 22, 2, 0).Succeeded);
    }

    [Fact]
    public void Closed_slot_inside_the_range_makes_the_claim_closed()
    {
        var key = Tomorrow(TestWorld.P2, TestWorld.Wide);
        _world.Engine.Block(key, new SlotRange(66, 1));
        Assert.Equal(ClaimStatus.Closed, _world.Book(key, 62, 6, 0).Status);
        Assert.Equal(ClaimStatus.Closed, _world.Book(key, 66, 1, 0).Status);
        Assert.Equal(143, _world.Engine.GetCalendar(key).FreeSeatCount);
    }
}
