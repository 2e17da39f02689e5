namespace SlotEngine.Redis.Tests.Contract;

/// <summary>Reserved capacity (<see cref="ReservedCapacity"/>). Release instants lie days away from now.</summary>
public abstract partial class SlotEngineContract
{
    // Released at the day's own midnight: three days from now.
    private static ReservedCapacity Unreleased(int seats, int everyNth) => new("fd", seats, everyNth, TimeSpan.Zero);

    private static CalendarKey Pair => new(ContractWorld.SameClinic, ContractWorld.Day);

    private static ClaimRequest BookPair(int first, int patient, string? pool = null) =>
        ClaimRequest.Book(Pair, SlotRange.Single(first), ContractWorld.Patient(patient)) with { Pool = pool };

    [Fact]
    public async Task A_reserved_slot_of_a_single_seat_is_the_pools_only()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 2));
        Assert.Equal(ClaimStatus.ReservedForPool, await StatusAsync(engine.ClaimAsync(Book(0, patient: 1))));
        Assert.Equal(ClaimStatus.ReservedForPool, await StatusAsync(engine.ClaimAsync(Book(0, patient: 1) with { Pool = "other" })));
        Assert.Equal(ClaimStatus.ReservedForPool, await StatusAsync(engine.ClaimAsync(Book(1, patient: 1, length: 2))));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 2) with { Pool = "fd" }));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(0, patient: 3) with { Pool = "fd" })));
    }

    [Fact]
    public async Task A_claim_outside_the_pool_is_steered_to_unreserved_seats_and_a_pool_claim_takes_reserved_seats_first()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 1));
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Capacity2);

        var pool = await SucceedAsync(engine.ClaimAsync(BookPair(0, patient: 1, pool: "fd")));
        Assert.Equal(1, pool.Seat);
        var plain = await SucceedAsync(engine.ClaimAsync(BookPair(0, patient: 2)));
        Assert.Equal(0, plain.Seat);

        var first = await SucceedAsync(engine.ClaimAsync(BookPair(1, patient: 3)));
        Assert.Equal(0, first.Seat);
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(BookPair(1, patient: 4))));
        var second = await SucceedAsync(engine.ClaimAsync(BookPair(1, patient: 5, pool: "fd")));
        Assert.Equal(1, second.Seat);

        // A pool claim falls back to unreserved seats when its own are taken.
        await SucceedAsync(engine.ClaimAsync(BookPair(2, patient: 6, pool: "fd")));
        var fallback = await SucceedAsync(engine.ClaimAsync(BookPair(2, patient: 7, pool: "fd")));
        Assert.Equal(0, fallback.Seat);
    }

    [Fact]
    public async Task A_released_reservation_is_claimed_by_anyone()
    {
        var engine = await EngineAsync(o => o.Reserved = new ReservedCapacity("fd", 1, 1, TimeSpan.FromDays(5)));
        var claimed = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        Assert.Equal(0, claimed.Seat);
    }

    [Fact]
    public async Task A_bad_pool_name_is_bad_input()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 1));
        Assert.Equal(SlotEngineError.InvalidPool, await ErrorAsync(async () => await engine.ClaimAsync(Book(0, patient: 1) with { Pool = "a{b}" })));
        Assert.Equal(SlotEngineError.InvalidPool, await ErrorAsync(async () => await engine.ClaimAsync(Book(0, patient: 1) with { Pool = "" })));
    }

    [Fact]
    public async Task A_search_without_the_pool_does_not_show_reserved_seats_until_the_release()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 2));
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Capacity2);
        var query = EarliestQuery.ForProviders([ContractWorld.Doctor], ContractWorld.Day, ContractWorld.Day, count: 3).WithStartsPerCalendar(3);
        Assert.Equal([1, 3, 5], (await engine.FindEarliestAsync(query)).Select(s => s.Slots.First));
        Assert.Equal([0, 1, 2], (await engine.FindEarliestAsync(query.WithPool("fd"))).Select(s => s.Slots.First));

        // Capacity 2, the top seat reserved: every start shows while seat 0 is free, and a reserved start hides once it is taken.
        var pair = EarliestQuery.ForProviders([ContractWorld.SameClinic], ContractWorld.Day, ContractWorld.Day, count: 2).WithStartsPerCalendar(2);
        await SucceedAsync(engine.ClaimAsync(BookPair(0, patient: 1)));
        Assert.Equal([1, 2], (await engine.FindEarliestAsync(pair)).Select(s => s.Slots.First));
        Assert.Equal([0, 1], (await engine.FindEarliestAsync(pair.WithPool("fd"))).Select(s => s.Slots.First));
    }

    [Fact]
    public async Task A_search_after_the_release_shows_every_seat()
    {
        var engine = await EngineAsync(o => o.Reserved = new ReservedCapacity("fd", 1, 2, TimeSpan.FromDays(5)));
        var query = EarliestQuery.ForProviders([ContractWorld.Doctor], ContractWorld.Day, ContractWorld.Day, count: 3).WithStartsPerCalendar(3);
        Assert.Equal([0, 1, 2], (await engine.FindEarliestAsync(query)).Select(s => s.Slots.First));
    }

    [Fact]
    public async Task A_city_and_branch_search_without_the_pool_skips_reserved_starts_too()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 2));
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Standard);
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(Pair, SlotRange.Single(1), ContractWorld.Patient(1))));
        var query = EarliestQuery.ForCityBranch(new CityCode(34), new BranchId(1), ContractWorld.Day, ContractWorld.Day, count: 2);

        // Doctor: slot 0 reserved, slot 1 free; SameClinic: slot 0 reserved, slot 1 taken, slot 3 next unreserved.
        var plain = await engine.FindEarliestAsync(query);
        Assert.Equal([(ContractWorld.Doctor, 1), (ContractWorld.SameClinic, 3)], plain.Select(s => (s.Calendar.Provider, s.Slots.First)));
        var pooled = await engine.FindEarliestAsync(query.WithPool("fd"));
        Assert.Equal([(ContractWorld.Doctor, 0), (ContractWorld.SameClinic, 0)], pooled.Select(s => (s.Calendar.Provider, s.Slots.First)));
    }
}
