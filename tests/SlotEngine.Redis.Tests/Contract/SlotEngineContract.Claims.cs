namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task Hold_then_confirm_books_the_slot_and_confirming_again_succeeds()
    {
        var engine = await EngineAsync();
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(5, patient: 1)));
        Assert.True(hold.IsHold);
        Assert.True(hold.Token > 0);
        Assert.Equal(0, hold.Seat);
        var seat = (await engine.GetCalendarAsync(Calendar))[5];
        Assert.Equal(SlotStatus.Held, seat.Status);
        Assert.Equal(ContractWorld.Patient(1), seat.Owner);
        Assert.Equal(hold.Token, seat.Token);

        var booking = await SucceedAsync(engine.ConfirmAsync(hold));
        Assert.False(booking.IsHold);
        Assert.Equal(hold.Token, booking.Token);
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(Calendar))[5].Status);
        Assert.Equal(booking, await SucceedAsync(engine.ConfirmAsync(hold)));
    }

    [Fact]
    public async Task A_taken_slot_refuses_a_second_claim_whoever_asks()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        await SucceedAsync(engine.ClaimAsync(Book(7, patient: 1)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(7, patient: 2))));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Hold(7, patient: 1))));
    }

    [Fact]
    public async Task A_claim_of_several_slots_takes_all_or_none()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 1)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(2, patient: 2, length: 3))));
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(SlotStatus.Free, snapshot[2].Status);
        Assert.Equal(SlotStatus.Free, snapshot[4].Status);

        var three = await SucceedAsync(engine.ClaimAsync(Hold(4, patient: 2, length: 3)));
        snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.All([4, 5, 6], s => Assert.Equal(SlotStatus.Held, snapshot[s].Status));
        Assert.Equal(three.Token, snapshot[6].Token);
        Assert.Equal(SlotStatus.Free, snapshot[7].Status);
    }

    [Fact]
    public async Task Release_frees_the_slots_and_the_old_token_is_stale_from_then_on()
    {
        var engine = await EngineAsync();
        var first = await SucceedAsync(engine.ClaimAsync(Hold(10, patient: 1, length: 2)));
        await SucceedAsync(engine.ReleaseAsync(first));
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(SlotStatus.Free, snapshot[10].Status);
        Assert.Equal(SlotStatus.Free, snapshot[11].Status);

        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(first)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(first)));

        var second = await SucceedAsync(engine.ClaimAsync(Hold(10, patient: 2, length: 2)));
        Assert.True(second.Token > first.Token, "fencing tokens strictly increase per calendar");
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(first, CancelActor.Administrator)));
        Assert.Equal(SlotStatus.Held, (await engine.GetCalendarAsync(Calendar))[10].Status);
    }

    [Fact]
    public async Task Fencing_tokens_strictly_increase_and_a_wrong_token_is_stale()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var tokens = new List<long>();
        for (var slot = 0; slot < 6; slot++)
        {
            tokens.Add((await SucceedAsync(engine.ClaimAsync(Hold(slot, patient: slot)))).Token);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        var real = await SucceedAsync(engine.ClaimAsync(Hold(20, patient: 9)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(real with { Token = real.Token + 1000 })));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(real with { Slots = new SlotRange(21, 1) })));
        await SucceedAsync(engine.ConfirmAsync(real));
    }

    [Fact]
    public async Task A_patient_cannot_cancel_a_booking_inside_the_cutoff_but_an_administrator_can()
    {
        var engine = await EngineAsync(o => o.PatientCancelCutoff = TimeSpan.FromDays(400));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(30, patient: 1)));
        Assert.Equal(ClaimStatus.CancelTooLate, await StatusAsync(engine.CancelAsync(booking, CancelActor.Patient)));
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(Calendar))[30].Status);
        await SucceedAsync(engine.CancelAsync(booking, CancelActor.Administrator));
        Assert.Equal(SlotStatus.Free, (await engine.GetCalendarAsync(Calendar))[30].Status);
    }

    [Fact]
    public async Task A_patient_cancels_a_booking_before_the_cutoff_and_a_hold_at_any_time()
    {
        var early = await EngineAsync(o => o.PatientCancelCutoff = TimeSpan.Zero);
        var booking = await SucceedAsync(early.ClaimAsync(Book(30, patient: 1)));
        await SucceedAsync(early.CancelAsync(booking, CancelActor.Patient));

        var late = await EngineAsync(o => o.PatientCancelCutoff = TimeSpan.FromDays(400));
        var hold = await SucceedAsync(late.ClaimAsync(Hold(31, patient: 2)));
        await SucceedAsync(late.CancelAsync(hold, CancelActor.Patient));
        Assert.Equal(SlotStatus.Free, (await late.GetCalendarAsync(Calendar))[31].Status);
    }

    [Fact]
    public async Task Capacity_gives_each_patient_a_seat_until_the_slot_is_full()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None, publish: false);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Capacity2);
        var a = await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        var b = await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 2)));
        Assert.Equal([0, 1], new[] { a.Seat, b.Seat }.Order());
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(1, patient: 3))));
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(0, snapshot.FreeSeats(1));
        Assert.Equal(2, snapshot.FreeSeats(2));

        await SucceedAsync(engine.ReleaseAsync(b));
        Assert.Equal(b.Seat, (await SucceedAsync(engine.ClaimAsync(Book(1, patient: 3)))).Seat);
    }

    [Fact]
    public async Task Outside_the_booking_window_and_in_the_past_are_refused()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var far = ContractWorld.Today.AddDays(20);
        await engine.PublishAsync(ContractWorld.Doctor, far, ContractWorld.Standard);
        Assert.Equal(
            ClaimStatus.OutsideBookingWindow,
            await StatusAsync(engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, far), SlotRange.Single(0), ContractWorld.Patient(1)))));

        var sameDay = await EngineAsync(o => { o.Quotas = QuotaPolicy.None; o.EarliestBookableDayOffset = 0; }, publish: false);
        var today = ContractWorld.Today;
        await sameDay.PublishAsync(ContractWorld.Doctor, today, ContractWorld.AllDay);
        Assert.Equal(
            ClaimStatus.InPast,
            await StatusAsync(sameDay.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, today), SlotRange.Single(0), ContractWorld.Patient(1)))));
    }
}
