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
