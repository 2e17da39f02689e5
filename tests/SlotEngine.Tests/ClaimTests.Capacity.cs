using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

public partial class ClaimTests
{
    private static readonly DayTemplate EightSeats = TestWorld.Template(20, 8, "08:00-12:00");

    [Fact]
    public void Eight_seats_count_down_as_remaining_uses()
    {
        var key = Tomorrow(TestWorld.P1, EightSeats);
        var seats = new List<int>();
        for (var patient = 0; patient < 8; patient++)
        {
            Assert.Equal(8 - patient, _world.Engine.GetCalendar(key).FreeSeats(3));
            seats.Add(_world.MustBook(key, 3, 1, patient).Seat);
        }

        Assert.Equal(Enumerable.Range(0, 8), seats);
        Assert.Equal(0, _world.Engine.GetCalendar(key).FreeSeats(3));
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 3, 1, 8).Status);
        Assert.Equal(8 * 12 - 8, _world.Engine.GetFreeCounts(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Tomorrow)[0].FreeSeats);
    }

    [Fact]
    public void A_released_seat_is_the_next_one_given()
    {
        var key = Tomorrow(TestWorld.P1, EightSeats);
        var r = Enumerable.Range(0, 8).Select(p => _world.MustBook(key, 3, 1, p)).ToArray();
        Assert.True(_world.Engine.TryRelease(r[2]).Succeeded);
        var again = _world.MustBook(key, 3, 1, 9);
        Assert.Equal(2, again.Seat);
        Assert.Equal(ClaimStatus.Stale, _world.Engine.TryRelease(r[2]).Status);
        Assert.Equal(_world.Patient(9), _world.Engine.GetCalendar(key)[3, 2].Owner);
    }

    [Fact]
    public void A_multi_slot_claim_takes_one_seat_for_all_its_slots()
    {
        var key = Tomorrow(TestWorld.P1, TestWorld.Template(20, 3, "08:00-12:00"));
        Assert.Equal(0, _world.MustBook(key, 0, 2, 0).Seat);
        Assert.Equal(1, _world.MustBook(key, 1, 1, 1).Seat);
        Assert.Equal(2, _world.MustBook(key, 0, 2, 2).Seat); // seat 1 has slot 0 free but slot 1 taken
        Assert.Equal(ClaimStatus.Taken, _world.Book(key, 0, 2, 3).Status);
        Assert.Equal(1, _world.MustBook(key, 0, 1, 4).Seat);
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.Equal(0, snapshot.FreeSeats(0));
        Assert.Equal(0, snapshot.FreeSeats(1));
        Assert.Equal(3, snapshot.FreeSeats(2));
    }

    [Fact]
    public void Block_closes_every_seat_and_displaces_every_seat_claim()
    {
        var key = Tomorrow(TestWorld.P1, EightSeats);
        var claims = Enumerable.Range(0, 5).Select(p => _world.MustBook(key, 3, 1, p)).ToArray();
        var result = _world.Engine.Block(key, new SlotRange(3, 1));
        Assert.Equal(8, result.ClosedSeats);
        Assert.Equal(claims, result.Displaced.Select(d => d.Reservation));
        Assert.Equal(0, _world.Engine.GetCalendar(key).FreeSeats(3));
        Assert.Equal(8, _world.Engine.Reopen(key, new SlotRange(3, 1)));
        Assert.Equal(8, _world.Engine.GetCalendar(key).FreeSeats(3));
    }

    [Fact]
    [Trait("Category", "Scan")]
    public void Earliest_query_offers_a_slot_while_any_seat_is_free()
    {
        var key = Tomorrow(TestWorld.P1, TestWorld.Template(20, 2, "08:00-12:00"));
        _world.MustBook(key, 0, 1, 0);
        var query = EarliestQuery.ForProviders([TestWorld.P1], TestWorld.Tomorrow, TestWorld.Tomorrow, 2, 3).WithStartsPerCalendar(3);
        Assert.Equal([0, 1, 2], _world.Engine.FindEarliest(query).Select(f => f.Slots.First));
        _world.MustBook(key, 0, 1, 1);
        _world.MustBook(key, 2, 1, 2);
        _world.MustBook(key, 2, 1, 3);
        Assert.Equal([3, 4, 5], _world.Engine.FindEarliest(query).Select(f => f.Slots.First));
    }
}
