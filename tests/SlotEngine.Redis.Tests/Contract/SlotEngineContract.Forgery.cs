namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// Reservations rebuilt by a caller from what a client sent back: every shape of forgery owns
/// nothing, answers <see cref="ClaimStatus.Stale"/> (or a typed error for the default value) and
/// changes nothing, on every engine.
/// </summary>
public abstract partial class SlotEngineContract
{
    /// <summary>Tokens a forger derives from a real one: high bits added, set or flipped, negative, never issued.</summary>
    private static IEnumerable<long> ForgedTokens(long real)
    {
        foreach (var bit in new[] { 29, 30, 31, 32, 40, 62 })
        {
            yield return real + (1L << bit);
            yield return real | (1L << bit);
        }

        yield return real | long.MinValue;
        yield return -real;
        yield return -1;
        yield return long.MinValue;
        yield return long.MaxValue;
        yield return real + 1;
        yield return (1L << 29) - 1;
    }

    [Fact]
    public async Task A_forged_token_cannot_release_cancel_or_confirm_another_claim()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var booked = await SucceedAsync(engine.ClaimAsync(Book(10, patient: 1)));
        var held = await SucceedAsync(engine.ClaimAsync(Hold(12, patient: 2, length: 2)));
        var before = await SeatsAsync(engine, Calendar);

        foreach (var token in ForgedTokens(booked.Token))
        {
            var forged = booked with { Token = token };
            Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(forged)));
            Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Administrator)));
            Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(forged)));
        }

        foreach (var token in ForgedTokens(held.Token))
        {
            var forged = held with { Token = token };
            Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(forged)));
            Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(forged)));
        }

        Assert.Equal(before, await SeatsAsync(engine, Calendar));
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(Calendar))[10].Status);
        await SucceedAsync(engine.ConfirmAsync(held));
        await SucceedAsync(engine.ReleaseAsync(booked));
    }

    [Fact]
    public async Task A_reservation_moved_to_another_seat_owns_nothing()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None, publish: false);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Capacity2);
        var victim = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        var mine = await SucceedAsync(engine.ClaimAsync(Hold(2, patient: 2)));
        Assert.NotEqual(victim.Seat, mine.Seat);
        var before = await SeatsAsync(engine, Calendar);

        var forged = mine with { Seat = victim.Seat };
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(forged)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Administrator)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(forged)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(victim with { Seat = mine.Seat })));
        Assert.Equal(before, await SeatsAsync(engine, Calendar));
        await SucceedAsync(engine.ReleaseAsync(mine));
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(Calendar))[2, victim.Seat].Status);
    }

    [Fact]
    public async Task A_reservation_moved_to_another_calendar_or_day_owns_nothing()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var otherDoctor = new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day);
        var otherDay = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1));
        var unpublished = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(2));
        await engine.PublishAsync(otherDoctor.Provider, otherDoctor.Day, ContractWorld.Standard);
        await engine.PublishAsync(otherDay.Provider, otherDay.Day, ContractWorld.Standard);

        // The forger's own claim is token 3 on the doctor's day; the victims hold slot 5 on the other
        // calendars with tokens 1 and 2, so moving the forger's reservation finds a claim at its
        // position but not with its token.
        await SucceedAsync(engine.ClaimAsync(Book(30, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(31, patient: 1)));
        var mine = await SucceedAsync(engine.ClaimAsync(Hold(5, patient: 1)));
        foreach (var calendar in new[] { otherDoctor, otherDay })
        {
            await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(5), ContractWorld.Patient(2))));
            await SucceedAsync(engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(6), ContractWorld.Patient(3), TimeSpan.FromMinutes(10))));
        }

        var before = new[] { await SeatsAsync(engine, otherDoctor), await SeatsAsync(engine, otherDay) };
        foreach (var calendar in new[] { otherDoctor, otherDay, unpublished })
        {
            foreach (var slot in new[] { 5, 6 })
            {
                var forged = mine with { Calendar = calendar, Slots = SlotRange.Single(slot) };
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(forged)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Administrator)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(forged)));
            }
        }

        Assert.Equal(before, new[] { await SeatsAsync(engine, otherDoctor), await SeatsAsync(engine, otherDay) });
        await SucceedAsync(engine.ConfirmAsync(mine));
    }

    [Fact]
    public async Task A_reservation_moved_onto_another_patients_claim_with_the_same_token_is_stale()
    {
        // Tokens count up per calendar: the same claims in the same order on two calendars get the same
        // tokens on the same seats. Patient A's reservations, moved to the other calendar (another
        // doctor, or another day), land on patient B's claims with their own seat, first slot and token.
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var otherDoctor = new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day);
        var otherDay = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1));
        await engine.PublishAsync(otherDoctor.Provider, otherDoctor.Day, ContractWorld.Standard);
        await engine.PublishAsync(otherDay.Provider, otherDay.Day, ContractWorld.Standard);
        var a = ContractWorld.Patient(1);
        var b = ContractWorld.Patient(2);
        var aHeld = await SucceedAsync(engine.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(3), a, TimeSpan.FromMinutes(10))));
        var aBooked = await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(Calendar, new SlotRange(7, 2), a)));
        foreach (var calendar in new[] { otherDoctor, otherDay })
        {
            var bHeld = await SucceedAsync(engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(3), b, TimeSpan.FromMinutes(10))));
            var bBooked = await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(calendar, new SlotRange(7, 2), b)));
            Assert.Equal((0, aHeld.Token), (bHeld.Seat, bHeld.Token));
            Assert.Equal((0, aBooked.Token), (bBooked.Seat, bBooked.Token));
            var before = await SeatsAsync(engine, calendar);

            foreach (var mine in new[] { aHeld, aBooked })
            {
                var forged = mine with { Calendar = calendar };
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(forged)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(forged)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Patient)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Administrator)));
            }

            // B's claims are intact: still held and booked, and B's own reservations still own them.
            Assert.Equal(before, await SeatsAsync(engine, calendar));
            var snapshot = await engine.GetCalendarAsync(calendar);
            Assert.Equal(SlotStatus.Held, snapshot[3, 0].Status);
            Assert.Equal(SlotStatus.Booked, snapshot[7, 0].Status);
            Assert.Equal(SlotStatus.Booked, snapshot[8, 0].Status);
            await SucceedAsync(engine.ConfirmAsync(bHeld));
            await SucceedAsync(engine.ReleaseAsync(bBooked));
        }

        // A's own claims were never touched either.
        await SucceedAsync(engine.ConfirmAsync(aHeld));
        await SucceedAsync(engine.CancelAsync(aBooked, CancelActor.Administrator));
    }

    [Fact]
    public async Task A_reservation_with_the_right_token_and_another_patient_is_stale()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var booked = await SucceedAsync(engine.ClaimAsync(Book(10, patient: 1)));
        var held = await SucceedAsync(engine.ClaimAsync(Hold(12, patient: 2, length: 2)));
        await SucceedAsync(engine.ClaimAsync(Book(20, patient: 3)));
        var before = await SeatsAsync(engine, Calendar);

        // Another patient with claims of their own, another with none anywhere, and the default key.
        foreach (var patient in new[] { ContractWorld.Patient(3), ContractWorld.Patient(99), default })
        {
            foreach (var mine in new[] { booked, held })
            {
                var forged = mine with { Patient = patient };
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(forged)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(forged)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Patient)));
                Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.CancelAsync(forged, CancelActor.Administrator)));
            }
        }

        // The two owners swapped: each presents the other's patient.
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(booked with { Patient = held.Patient })));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ConfirmAsync(held with { Patient = booked.Patient })));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(held with { Patient = booked.Patient })));

        Assert.Equal(before, await SeatsAsync(engine, Calendar));
        await SucceedAsync(engine.ConfirmAsync(held));
        await SucceedAsync(engine.ReleaseAsync(booked));
    }

    [Fact]
    public async Task A_default_reservation_is_a_typed_error_and_changes_nothing()
    {
        var engine = await EngineAsync();
        await SucceedAsync(engine.ClaimAsync(Book(10, patient: 1)));
        var before = await SeatsAsync(engine, Calendar);
        Assert.Equal(SlotEngineError.MissingReservation, await ErrorAsync(async () => await engine.ReleaseAsync(default)));
        Assert.Equal(SlotEngineError.MissingReservation, await ErrorAsync(async () => await engine.CancelAsync(default, CancelActor.Administrator)));
        Assert.Equal(SlotEngineError.MissingReservation, await ErrorAsync(async () => await engine.ConfirmAsync(default)));

        // A reservation whose only real part is the calendar and slot is no better than the default.
        var bare = new Reservation(Calendar, SlotRange.Single(10), 0, -1, default, null);
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(bare)));
        Assert.Equal(before, await SeatsAsync(engine, Calendar));
    }

    /// <summary>Every seat of every slot of a calendar, as a comparable list.</summary>
    private static async Task<List<SeatView>> SeatsAsync(ISlotEngine engine, CalendarKey calendar)
    {
        var snapshot = await engine.GetCalendarAsync(calendar);
        var seats = new List<SeatView>();
        for (var slot = 0; slot < snapshot.SlotCount; slot++)
        {
            for (var seat = 0; seat < snapshot.Capacity; seat++)
            {
                seats.Add(snapshot[slot, seat]);
            }
        }

        return seats;
    }
}
