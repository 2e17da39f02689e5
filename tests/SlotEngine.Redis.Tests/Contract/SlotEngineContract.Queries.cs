namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task Free_counts_follow_claims_releases_and_blocks()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day.AddDays(1), ContractWorld.Standard);
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1, length: 3)));
        await SucceedAsync(engine.ClaimAsync(Book(10, patient: 2)));
        await engine.BlockAsync(Calendar, new SlotRange(40, 8));

        var counts = await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day.AddDays(2));
        Assert.Equal(
            [new DayFreeCount(ContractWorld.Day, 48 - 3 - 1 - 8, 48), new DayFreeCount(ContractWorld.Day.AddDays(1), 48, 48)],
            counts);

        await SucceedAsync(engine.ReleaseAsync(hold));
        Assert.Equal(48 - 1 - 8, (await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day))[0].FreeSeats);
    }

    [Fact]
    public async Task Earliest_free_starts_skip_taken_slots_and_never_cross_a_session()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Standard);
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1, length: 2)));
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day), new SlotRange(0, 23), ContractWorld.Patient(2))));

        var starts = await engine.FindEarliestAsync(EarliestQuery.ForClinic(ContractWorld.Clinic, ContractWorld.Day, ContractWorld.Day, length: 1, count: 2));
        Assert.Equal(2, starts.Count);
        Assert.Equal(new FreeStart(Calendar, new SlotRange(2, 1), starts[0].Start), starts[0]);
        Assert.Equal(new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day), starts[1].Calendar);
        Assert.Equal(new SlotRange(23, 1), starts[1].Slots);

        // Two slots in a row: the second provider's 11:50 slot is the last of its morning, so it is skipped.
        var pairs = await engine.FindEarliestAsync(EarliestQuery.ForProviders([ContractWorld.SameClinic], ContractWorld.Day, ContractWorld.Day, length: 2));
        Assert.Equal(new SlotRange(24, 2), Assert.Single(pairs).Slots);
    }

    [Fact]
    public async Task A_snapshot_shows_each_seat_with_its_owner_token_and_hold_expiry()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 1)));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 2)));
        await engine.BlockAsync(Calendar, SlotRange.Single(3));
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(new SeatView(SlotStatus.Held, hold.Patient, hold.Token, hold.HoldExpiresAt), snapshot[1]);
        Assert.Equal(new SeatView(SlotStatus.Booked, booking.Patient, booking.Token, null), snapshot[2]);
        Assert.Equal(SlotStatus.Closed, snapshot[3].Status);
        Assert.Equal(new SeatView(SlotStatus.Free, default, 0, null), snapshot[4]);
    }
}
