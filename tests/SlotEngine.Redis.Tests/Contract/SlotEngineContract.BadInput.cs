namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task Bad_claims_throw_a_typed_error_and_change_nothing()
    {
        var engine = await EngineAsync();
        var before = (await engine.GetCalendarAsync(Calendar)).FreeSeatCount;
        var patient = ContractWorld.Patient(1);
        Assert.Equal(SlotEngineError.UnknownProvider, await ErrorAsync(async () => await engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(new ProviderId(999), ContractWorld.Day), SlotRange.Single(0), patient))));
        Assert.Equal(SlotEngineError.DayNotPublished, await ErrorAsync(async () => await engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1)), SlotRange.Single(0), patient))));
        Assert.Equal(SlotEngineError.SlotOutOfRange, await ErrorAsync(async () => await engine.ClaimAsync(Book(48, patient: 1))));
        Assert.Equal(SlotEngineError.SlotOutOfRange, await ErrorAsync(async () => await engine.ClaimAsync(Book(-1, patient: 1))));
        Assert.Equal(SlotEngineError.InvalidLength, await ErrorAsync(async () => await engine.ClaimAsync(Book(0, patient: 1, length: 0))));
        Assert.Equal(SlotEngineError.InvalidLength, await ErrorAsync(async () => await engine.ClaimAsync(Book(46, patient: 1, length: 3))));
        Assert.Equal(SlotEngineError.CrossesSession, await ErrorAsync(async () => await engine.ClaimAsync(Book(23, patient: 1, length: 2))));
        Assert.Equal(SlotEngineError.MissingPatient, await ErrorAsync(async () => await engine.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(0), default))));
        Assert.Equal(SlotEngineError.InvalidHoldDuration, await ErrorAsync(async () => await engine.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(0), patient, TimeSpan.Zero))));
        Assert.Equal(SlotEngineError.InvalidHoldDuration, await ErrorAsync(async () => await engine.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(0), patient, TimeSpan.FromHours(2)))));
        Assert.Equal(before, (await engine.GetCalendarAsync(Calendar)).FreeSeatCount);

        // The quota was not touched by any of them.
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
    }

    [Fact]
    public async Task Bad_reservations_and_ranges_throw_a_typed_error()
    {
        var engine = await EngineAsync();
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));
        Assert.Equal(SlotEngineError.MissingReservation, await ErrorAsync(async () => await engine.ConfirmAsync(default)));
        Assert.Equal(SlotEngineError.MissingReservation, await ErrorAsync(async () => await engine.ReleaseAsync(default)));
        Assert.Equal(SlotEngineError.SeatOutOfRange, await ErrorAsync(async () => await engine.ConfirmAsync(hold with { Seat = 1 })));
        Assert.Equal(SlotEngineError.SlotOutOfRange, await ErrorAsync(async () => await engine.CancelAsync(hold with { Slots = new SlotRange(60, 1) }, CancelActor.Patient)));
        Assert.Equal(SlotEngineError.SlotOutOfRange, await ErrorAsync(async () => await engine.BlockAsync(Calendar, new SlotRange(48, 1))));
        Assert.Equal(SlotEngineError.InvalidLength, await ErrorAsync(async () => await engine.ReopenAsync(Calendar, new SlotRange(0, 0))));
        Assert.Equal(SlotEngineError.UnknownProvider, await ErrorAsync(async () => await engine.PublishAsync(new ProviderId(999), ContractWorld.Day, ContractWorld.Standard)));
        Assert.Equal(SlotEngineError.DayNotPublished, await ErrorAsync(async () => await engine.WithdrawAsync(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(5)))));
        Assert.Equal(SlotEngineError.InvalidDateRange, await ErrorAsync(async () => await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day.AddDays(-1))));
        Assert.Equal(SlotEngineError.UnknownClinic, await ErrorAsync(async () => await engine.FindEarliestAsync(EarliestQuery.ForClinic(new ClinicId(77), ContractWorld.Day, ContractWorld.Day))));
        Assert.Equal(SlotStatus.Held, (await engine.GetCalendarAsync(Calendar))[0].Status);
        await SucceedAsync(engine.ConfirmAsync(hold));
    }
}
