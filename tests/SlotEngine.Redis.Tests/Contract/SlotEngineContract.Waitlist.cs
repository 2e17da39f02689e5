namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// The waitlist (<see cref="WaitlistPolicy"/>): wishes wait per scope; a freed slot is held for the next wish's
/// patient, in priority group order and first come, first served. The calendars here are a small day (three
/// 10-minute slots, one seat) filled before wishes are registered, so every offer comes from a slot freed by the
/// test. The only test that needs time to move (a lapsed offer) uses a 50 ms offer window and polls the sweep.
/// </summary>
public abstract partial class SlotEngineContract
{
    private static readonly DayTemplate Small = new([new Session(new TimeOnly(9, 0), new TimeOnly(9, 30))], TimeSpan.FromMinutes(10));

    private static WishRequest WishFor(int patient, int group = 0, int length = 1, WaitlistScope? scope = null, DateOnly? from = null, DateOnly? to = null) =>
        new(scope ?? WaitlistScope.ForClinic(ContractWorld.Clinic), from ?? ContractWorld.Day, to ?? ContractWorld.Day.AddDays(2), length, ContractWorld.Patient(patient), group);

    private static ClaimRequest BookSmall(int first, int patient) => Book(first, patient);

    /// <summary>A waitlist engine with <see cref="Small"/> published for the doctor and all three slots booked by patients 90, 91, 92.</summary>
    private async Task<(ISlotEngine Engine, Reservation[] Bookings, List<WaitlistOffer> Offers)> FullDayAsync(TimeSpan? window = null, int groups = 2, Action<SlotEngineOptions>? configure = null)
    {
        var offers = new List<WaitlistOffer>();
        var engine = await EngineAsync(
            o =>
            {
                o.Quotas = QuotaPolicy.None;
                o.PatientCancelCutoff = TimeSpan.Zero;
                o.Waitlist = new WaitlistPolicy(window ?? TimeSpan.FromMinutes(15), groups) { OfferMade = offer => { lock (offers) { offers.Add(offer); } } };
                configure?.Invoke(o);
            },
            publish: false);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, Small);
        var bookings = new Reservation[3];
        for (var i = 0; i < 3; i++)
        {
            bookings[i] = await SucceedAsync(engine.ClaimAsync(BookSmall(i, 90 + i)));
        }

        return (engine, bookings, offers);
    }

    [Fact]
    public async Task The_waitlist_is_off_by_default()
    {
        var engine = await EngineAsync();

        Assert.False(new SlotEngineOptions().Waitlist.IsEnabled);
        Assert.Equal(SlotEngineError.WaitlistOff, await ErrorAsync(async () => await engine.RegisterWishAsync(WishFor(1))));
    }

    [Fact]
    public async Task A_cancelled_booking_is_offered_to_the_first_wish_as_a_hold_for_the_offer_window()
    {
        var (engine, bookings, offers) = await FullDayAsync();
        var first = await engine.RegisterWishAsync(WishFor(1));
        var second = await engine.RegisterWishAsync(WishFor(2));
        Assert.Equal(1, (await engine.GetWishAsync(second))!.Position);

        await SucceedAsync(engine.CancelAsync(bookings[1], CancelActor.Patient));

        var view = (await engine.GetWishAsync(first))!;
        Assert.Equal(WishState.Offered, view.State);
        var offer = view.Offer!.Value;
        Assert.Equal(ContractWorld.Patient(1), offer.Patient);
        Assert.Equal(new SlotRange(1, 1), offer.Slots);
        Assert.True(offer.IsHold);
        var window = offer.HoldExpiresAt!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(window, TimeSpan.FromMinutes(13), TimeSpan.FromMinutes(16));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(BookSmall(1, 50))));
        var waiting = (await engine.GetWishAsync(second))!;
        Assert.Equal((WishState.Waiting, 0), (waiting.State, waiting.Position));
        Assert.Equal(first, Assert.Single(offers).Wish);
        Assert.Equal(offer, offers[0].Reservation);
        Assert.Equal(offer, Assert.Single(await engine.GetWishesAsync(ContractWorld.Patient(1))).Offer);
    }

    [Fact]
    public async Task Priority_groups_are_served_in_order_and_first_come_first_served_within_a_group()
    {
        var (engine, bookings, _) = await FullDayAsync(groups: 3);
        var late = await engine.RegisterWishAsync(WishFor(1, group: 2));
        var early1 = await engine.RegisterWishAsync(WishFor(2, group: 1));
        var early0 = await engine.RegisterWishAsync(WishFor(3, group: 0));
        var next0 = await engine.RegisterWishAsync(WishFor(4, group: 0));
        Assert.Equal(3, (await engine.GetWishAsync(late))!.Position);

        await SucceedAsync(engine.ReleaseAsync(bookings[0]));
        await SucceedAsync(engine.ReleaseAsync(bookings[2]));

        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(early0))!.State);
        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(next0))!.State);
        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(early1))!.State);
        Assert.Equal(0, (await engine.GetWishAsync(early1))!.Position);
        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(late))!.State);
    }

    [Fact]
    public async Task Confirming_the_offer_accepts_it()
    {
        var (engine, bookings, _) = await FullDayAsync();
        var wish = await engine.RegisterWishAsync(WishFor(1));
        await SucceedAsync(engine.CancelAsync(bookings[2], CancelActor.Patient));
        var offer = (await engine.GetWishAsync(wish))!.Offer!.Value;

        var booked = await SucceedAsync(engine.ConfirmAsync(offer));

        Assert.Null(booked.HoldExpiresAt);
        Assert.Equal(WishState.Accepted, (await engine.GetWishAsync(wish))!.State);
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(Calendar))[2].Status);
        Assert.False(await engine.CancelWishAsync(wish), "an accepted wish is not cancelled");
        Assert.Equal(SlotStatus.Booked, (await engine.GetCalendarAsync(Calendar))[2].Status);
        Assert.Equal(WishState.Accepted, (await engine.GetWishAsync(wish))!.State);
    }

    [Fact]
    public async Task A_lapsed_offer_goes_to_the_next_wish_when_the_sweep_reclaims_it()
    {
        var (engine, bookings, _) = await FullDayAsync(window: TimeSpan.FromMilliseconds(50));
        var first = await engine.RegisterWishAsync(WishFor(1));
        var second = await engine.RegisterWishAsync(WishFor(2));
        await SucceedAsync(engine.ReleaseAsync(bookings[0]));
        var offer = (await engine.GetWishAsync(first))!.Offer!.Value;

        await Eventually.TrueAsync(
            async () =>
            {
                await engine.SweepExpiredHoldsAsync();

                // Offered, or already lapsed in turn: its 50 ms window can end before this read on a loaded machine.
                return (await engine.GetWishAsync(second))!.Offer is not null;
            },
            "the second wish is offered the lapsed slot");

        Assert.Equal(WishState.Lapsed, (await engine.GetWishAsync(first))!.State);
        Assert.Equal(offer.Slots, (await engine.GetWishAsync(second))!.Offer!.Value.Slots);
        Assert.Equal(ClaimStatus.HoldExpired, await StatusAsync(engine.ConfirmAsync(offer)));
    }

    [Fact]
    public async Task A_cancelled_wish_is_skipped_and_cancelling_an_offered_wish_passes_the_slot_on()
    {
        var (engine, bookings, _) = await FullDayAsync();
        var gone = await engine.RegisterWishAsync(WishFor(1));
        var offered = await engine.RegisterWishAsync(WishFor(2));
        var next = await engine.RegisterWishAsync(WishFor(3));
        Assert.True(await engine.CancelWishAsync(gone));
        Assert.False(await engine.CancelWishAsync(gone));
        Assert.Equal(WishState.Cancelled, (await engine.GetWishAsync(gone))!.State);

        await SucceedAsync(engine.ReleaseAsync(bookings[1]));
        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(offered))!.State);

        Assert.True(await engine.CancelWishAsync(offered));

        Assert.Equal(WishState.Cancelled, (await engine.GetWishAsync(offered))!.State);
        var view = (await engine.GetWishAsync(next))!;
        Assert.Equal(WishState.Offered, view.State);
        Assert.Equal(new SlotRange(1, 1), view.Offer!.Value.Slots);
    }

    [Fact]
    public async Task A_refused_patient_keeps_their_place_with_the_reason_and_the_slot_goes_to_the_next()
    {
        var (engine, bookings, _) = await FullDayAsync(configure: o => o.MaxActiveAppointments = 1);
        await engine.PublishAsync(ContractWorld.OtherClinic, ContractWorld.Day, Small);
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Day), new SlotRange(0, 1), ContractWorld.Patient(1))));
        var capped = await engine.RegisterWishAsync(WishFor(1));
        var free = await engine.RegisterWishAsync(WishFor(2));

        await SucceedAsync(engine.ReleaseAsync(bookings[0]));

        var refused = (await engine.GetWishAsync(capped))!;
        Assert.Equal((WishState.Waiting, 0, ClaimStatus.ActiveLimitReached), (refused.State, refused.Position, refused.LastRefusal));
        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(free))!.State);
    }

    [Fact]
    public async Task Only_matching_wishes_are_offered_and_a_city_and_branch_wish_is_served_after_the_clinic_queue()
    {
        var (engine, bookings, _) = await FullDayAsync();
        var laterDays = await engine.RegisterWishAsync(WishFor(1, from: ContractWorld.Day.AddDays(1)));
        var otherClinic = await engine.RegisterWishAsync(WishFor(2, scope: WaitlistScope.ForClinic(new ClinicId(11))));
        var tooLong = await engine.RegisterWishAsync(WishFor(3, length: 2));
        var cityBranch = await engine.RegisterWishAsync(WishFor(4, scope: WaitlistScope.ForCityBranch(new CityCode(34), new BranchId(1))));

        await SucceedAsync(engine.ReleaseAsync(bookings[0]));

        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(laterDays))!.State);
        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(otherClinic))!.State);
        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(tooLong))!.State);
        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(cityBranch))!.State);

        await SucceedAsync(engine.ReleaseAsync(bookings[1]));
        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(tooLong))!.State);
        await SucceedAsync(engine.ReleaseAsync(bookings[2]));
        var twoSlots = (await engine.GetWishAsync(tooLong))!;
        Assert.Equal(WishState.Offered, twoSlots.State);
        Assert.Equal(2, twoSlots.Offer!.Value.Slots.Length);
    }

    [Fact]
    public async Task A_newly_published_day_is_offered_to_waiting_wishes()
    {
        var (engine, _, offers) = await FullDayAsync();
        var a = await engine.RegisterWishAsync(WishFor(1));
        var b = await engine.RegisterWishAsync(WishFor(2));

        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day.AddDays(1), Small);

        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(a))!.State);
        Assert.Equal(WishState.Offered, (await engine.GetWishAsync(b))!.State);
        Assert.Equal(2, offers.Count);
        Assert.NotEqual(offers[0].Reservation.Slots, offers[1].Reservation.Slots);
    }

    [Fact]
    public async Task A_malformed_wish_is_refused()
    {
        var (engine, _, _) = await FullDayAsync(groups: 2);

        Assert.Equal(SlotEngineError.InvalidWish, await ErrorAsync(async () => await engine.RegisterWishAsync(WishFor(1, group: 2))));
        Assert.Equal(SlotEngineError.InvalidDateRange, await ErrorAsync(async () => await engine.RegisterWishAsync(WishFor(1, from: ContractWorld.Day.AddDays(3), to: ContractWorld.Day))));
        Assert.Equal(SlotEngineError.InvalidLength, await ErrorAsync(async () => await engine.RegisterWishAsync(WishFor(1, length: 0))));
        Assert.Equal(SlotEngineError.UnknownClinic, await ErrorAsync(async () => await engine.RegisterWishAsync(WishFor(1, scope: WaitlistScope.ForClinic(new ClinicId(999))))));
        Assert.Null(await engine.GetWishAsync(new WishTicket(WaitlistScope.ForClinic(ContractWorld.Clinic), 12345)));
    }

    [Fact]
    public async Task A_city_and_branch_wish_may_name_branch_zero_and_a_scope_without_a_city_is_refused()
    {
        var (engine, _, _) = await FullDayAsync();

        // Branch ids are the host's: 0 is one like any other (the load generator's national map has it).
        var branchZero = await engine.RegisterWishAsync(WishFor(5, scope: WaitlistScope.ForCityBranch(new CityCode(34), new BranchId(0))));
        Assert.Equal(WishState.Waiting, (await engine.GetWishAsync(branchZero))!.State);

        var refused = await Assert.ThrowsAsync<SlotEngineArgumentException>(async () => await engine.RegisterWishAsync(WishFor(6, scope: default(WaitlistScope))));
        Assert.Equal(SlotEngineError.InvalidWish, refused.Code);
    }
}
