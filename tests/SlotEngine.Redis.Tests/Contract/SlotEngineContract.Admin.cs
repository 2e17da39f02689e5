namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task Block_closes_free_seats_and_returns_the_holds_and_bookings_it_displaced()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(4, patient: 2, length: 3)));

        var result = await engine.BlockAsync(Calendar, new SlotRange(0, 5));
        Assert.Equal(5, result.ClosedSeats);
        Assert.Equal(2, result.Displaced.Count);
        Assert.Contains(result.Displaced, d => d.WasBooked && d.Reservation.Token == booking.Token && d.Reservation.Patient == booking.Patient);
        Assert.Contains(result.Displaced, d => !d.WasBooked && d.Reservation.Token == hold.Token && d.Reservation.Slots == new SlotRange(4, 3));

        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.All(Enumerable.Range(0, 5), s => Assert.Equal(SlotStatus.Closed, snapshot[s].Status));
        Assert.Equal(SlotStatus.Free, snapshot[5].Status); // the hold's slots outside the block are freed
        Assert.Equal(SlotStatus.Free, snapshot[6].Status);
        Assert.Equal(ClaimStatus.Closed, await StatusAsync(engine.ClaimAsync(Book(1, patient: 3))));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(hold)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(booking)));
        Assert.Equal(0, (await engine.BlockAsync(Calendar, new SlotRange(0, 5))).ClosedSeats);

        Assert.Equal(5, await engine.ReopenAsync(Calendar, new SlotRange(0, 6)));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 3)));
    }

    [Fact]
    public async Task Withdraw_returns_every_claim_and_the_day_is_gone_until_published_again()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(8, patient: 1)));
        var result = await engine.WithdrawAsync(Calendar);
        Assert.Equal(48, result.ClosedSeats);
        Assert.Equal(booking.Token, Assert.Single(result.Displaced).Reservation.Token);

        Assert.Equal(SlotEngineError.DayNotPublished, await ErrorAsync(async () => await engine.GetCalendarAsync(Calendar)));
        Assert.Equal(SlotEngineError.DayNotPublished, await ErrorAsync(async () => await engine.ClaimAsync(Book(8, patient: 2))));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(booking)));

        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        Assert.Equal(48, (await engine.GetCalendarAsync(Calendar)).FreeSeatCount);
        await SucceedAsync(engine.ClaimAsync(Book(8, patient: 2)));
    }

    [Fact]
    public async Task Publishing_again_with_the_same_template_changes_nothing_and_another_template_conflicts()
    {
        var engine = await EngineAsync();
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        Assert.Equal(SlotStatus.Held, (await engine.GetCalendarAsync(Calendar))[0].Status);
        await SucceedAsync(engine.ConfirmAsync(hold));

        Assert.Equal(
            SlotEngineError.TemplateConflict,
            await ErrorAsync(async () => await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Capacity2)));
    }

    [Fact]
    public async Task A_published_day_has_its_template_and_slot_starts()
    {
        var engine = await EngineAsync();
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(ContractWorld.Standard, snapshot.Template);
        Assert.Equal(48, snapshot.SlotCount);
        Assert.Equal(48, snapshot.FreeSeatCount);
        var local = TimeZoneInfo.ConvertTime(snapshot.StartOf(24), ContractWorld.Istanbul);
        Assert.Equal(new TimeOnly(13, 0), TimeOnly.FromDateTime(local.DateTime));
    }
}
