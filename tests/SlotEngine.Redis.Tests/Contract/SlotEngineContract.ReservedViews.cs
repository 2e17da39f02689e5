namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// Free counts and calendar views with reserved capacity (issue 12's leftovers): the plain free count is what anyone
/// may claim; seats kept for a pool until the release are counted apart and flagged with their pool.
/// </summary>
public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task Free_counts_keep_the_pools_free_seats_apart_until_the_release()
    {
        // The standard day: 48 single-seat slots, every second one the pool's (released at the day's midnight).
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 2));
        var before = Assert.Single(await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day));
        Assert.Equal((24, 24, 48), (before.FreeSeats, before.ReservedFreeSeats, before.TotalSeats));

        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1) with { Pool = "fd" }));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 2)));
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 3)));

        var after = Assert.Single(await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day));
        Assert.Equal((22, 23, 48), (after.FreeSeats, after.ReservedFreeSeats, after.TotalSeats));
    }

    [Fact]
    public async Task A_released_or_absent_reservation_counts_every_free_seat_as_free()
    {
        var released = await EngineAsync(o => o.Reserved = new ReservedCapacity("fd", 1, 2, TimeSpan.FromDays(5)));
        var count = Assert.Single(await released.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day));
        Assert.Equal((48, 0), (count.FreeSeats, count.ReservedFreeSeats));
        var snapshot = await released.GetCalendarAsync(Calendar);
        Assert.Null(snapshot[0].ReservedFor);
        Assert.Equal((48, 0), (snapshot.FreeSeatCount, snapshot.ReservedFreeSeatCount));

        var plain = await EngineAsync();
        Assert.Equal(0, Assert.Single(await plain.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day)).ReservedFreeSeats);
    }

    [Fact]
    public async Task The_calendar_view_flags_reserved_seats_with_their_pool_whatever_their_state()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 2));
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Capacity2);
        var pool = await SucceedAsync(engine.ClaimAsync(BookPair(0, patient: 1, pool: "fd")));

        var pair = await engine.GetCalendarAsync(Pair);
        Assert.Equal(1, pool.Seat);
        Assert.Equal((SlotStatus.Booked, "fd"), (pair[0, 1].Status, pair[0, 1].ReservedFor));
        Assert.Null(pair[0, 0].ReservedFor);
        Assert.Null(pair[1, 1].ReservedFor);
        Assert.Equal("fd", pair[2, 1].ReservedFor);
        Assert.Equal((1, 0), (pair.FreeSeats(0), pair.ReservedFreeSeats(0)));
        Assert.Equal((1, 1), (pair.FreeSeats(2), pair.ReservedFreeSeats(2)));
        Assert.Equal((2, 0), (pair.FreeSeats(1), pair.ReservedFreeSeats(1)));

        // Capacity2 has 6 slots: 3 reserved (0, 2, 4) with one pool seat each, one of them booked.
        Assert.Equal((9, 2), (pair.FreeSeatCount, pair.ReservedFreeSeatCount));
        var counts = Assert.Single(await engine.GetFreeCountsAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Day));
        Assert.Equal((9, 2, 12), (counts.FreeSeats, counts.ReservedFreeSeats, counts.TotalSeats));
    }
}
