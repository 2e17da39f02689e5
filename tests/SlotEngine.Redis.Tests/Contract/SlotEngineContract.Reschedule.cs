namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    private static ClaimRequest BookAt(ProviderId provider, DateOnly day, int first, int patient, string? key = null) =>
        ClaimRequest.Book(new CalendarKey(provider, day), SlotRange.Single(first), ContractWorld.Patient(patient), key);

    private static async Task<Reservation> MovedAsync(ValueTask<RescheduleResult> move)
    {
        var result = await move;
        Assert.True(result.Succeeded, "expected the move to succeed, got " + result);
        return result.Reservation;
    }

    /// <summary>The patient's live claims on the calendars given, by the engine's own snapshots.</summary>
    private static async Task<int> LiveClaimsAsync(ISlotEngine engine, int patient, params CalendarKey[] calendars)
    {
        var count = 0;
        foreach (var calendar in calendars.Distinct())
        {
            var snapshot = await engine.GetCalendarAsync(calendar);
            var tokens = new HashSet<(int Seat, long Token)>();
            for (var slot = 0; slot < snapshot.SlotCount; slot++)
            {
                for (var seat = 0; seat < snapshot.Capacity; seat++)
                {
                    var view = snapshot[slot, seat];
                    if (view.Status is SlotStatus.Held or SlotStatus.Booked && view.Owner == ContractWorld.Patient(patient))
                    {
                        tokens.Add((seat, view.Token));
                    }
                }
            }

            count += tokens.Count;
        }

        return count;
    }

    [Fact]
    public async Task A_booking_moves_within_its_calendar_and_the_old_slot_is_free_again()
    {
        var engine = await EngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        var moved = await MovedAsync(engine.RescheduleAsync(booking, Book(7, patient: 1)));

        Assert.Equal(Calendar, moved.Calendar);
        Assert.Equal(SlotRange.Single(7), moved.Slots);
        Assert.False(moved.IsHold);
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(booking)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(7, patient: 2))));
        await SucceedAsync(engine.ClaimAsync(Book(2, patient: 2)));
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, Calendar));
        await SucceedAsync(engine.ReleaseAsync(moved));
    }

    [Fact]
    public async Task A_hold_moves_to_another_provider_and_day_and_stays_a_hold()
    {
        var engine = await EngineAsync();
        var otherDay = ContractWorld.Day.AddDays(1);
        await engine.PublishAsync(ContractWorld.OtherClinic, otherDay, ContractWorld.Standard);
        var target = new CalendarKey(ContractWorld.OtherClinic, otherDay);
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(4, patient: 1)));

        var moved = await MovedAsync(engine.RescheduleAsync(hold, ClaimRequest.Hold(target, new SlotRange(10, 2), ContractWorld.Patient(1), TimeSpan.FromMinutes(5))));
        Assert.Equal(target, moved.Calendar);
        Assert.True(moved.IsHold);
        Assert.Equal(0, await LiveClaimsAsync(engine, 1, Calendar));
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, target));
        var booked = await SucceedAsync(engine.ConfirmAsync(moved));
        Assert.False(booked.IsHold);
    }

    [Fact]
    public async Task A_refused_target_changes_nothing()
    {
        var engine = await EngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 2)));
        await engine.BlockAsync(Calendar, SlotRange.Single(9));

        Assert.Equal(ClaimStatus.Taken, (await engine.RescheduleAsync(booking, Book(3, patient: 1))).Status);
        Assert.Equal(ClaimStatus.Closed, (await engine.RescheduleAsync(booking, Book(9, patient: 1))).Status);
        var today = ContractWorld.Today;
        await engine.PublishAsync(ContractWorld.SameClinic, today, ContractWorld.AllDay);
        Assert.Equal(ClaimStatus.OutsideBookingWindow, (await engine.RescheduleAsync(booking, BookAt(ContractWorld.SameClinic, today, 0, 1))).Status); // the window starts tomorrow

        Assert.Equal(1, await LiveClaimsAsync(engine, 1, Calendar));
        await SucceedAsync(engine.ReleaseAsync(booking));
    }

    [Fact]
    public async Task A_move_to_a_barred_branch_is_refused_and_changes_nothing_and_one_to_another_branch_succeeds()
    {
        var engine = await BarringEngineAsync();
        await PublishElsewhereAsync(engine);
        var other = new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Day);
        var missed = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var booking = await SucceedAsync(engine.ClaimAsync(BookAt(ContractWorld.OtherClinic, 0, patient: 1)));
        await SucceedAsync(engine.RecordOutcomeAsync(missed, AppointmentOutcome.NoShow));
        var onCalendar = await LiveClaimsAsync(engine, 1, Calendar);

        Assert.Equal(ClaimStatus.Barred, (await engine.RescheduleAsync(booking, Book(1, patient: 1))).Status);
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, other));
        Assert.Equal(onCalendar, await LiveClaimsAsync(engine, 1, Calendar));

        var moved = await MovedAsync(engine.RescheduleAsync(booking, BookAt(ContractWorld.OtherClinic, 1, patient: 1)));
        Assert.Equal(1, moved.Slots.First);
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, other));
        await SucceedAsync(engine.ReleaseAsync(moved));
    }

    [Fact]
    public async Task A_stale_reservation_does_not_move_and_takes_nothing()
    {
        var engine = await EngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        await SucceedAsync(engine.ReleaseAsync(booking));

        Assert.Equal(ClaimStatus.Stale, (await engine.RescheduleAsync(booking, Book(5, patient: 1))).Status);
        await SucceedAsync(engine.ClaimAsync(Book(5, patient: 2)));
    }

    [Fact]
    public async Task A_patient_at_the_cap_can_move_and_is_still_at_the_cap_after()
    {
        var engine = await CappedEngineAsync(1);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var moved = await MovedAsync(engine.RescheduleAsync(booking, Book(6, patient: 1)));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(Book(8, patient: 1))));

        var again = await MovedAsync(engine.RescheduleAsync(moved, Book(9, patient: 1)));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(Book(8, patient: 1))));
        await SucceedAsync(engine.ReleaseAsync(again));
        await SucceedAsync(engine.ClaimAsync(Book(8, patient: 1)));
    }

    [Fact]
    public async Task A_move_within_the_clinic_needs_no_second_quota_entry_and_one_to_another_clinic_gives_the_old_back()
    {
        var engine = await EngineAsync(); // MHRS quotas: one per clinic, two per facility, per day
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Standard);
        await engine.PublishAsync(ContractWorld.OtherClinic, ContractWorld.Day, ContractWorld.Standard);
        await engine.PublishAsync(ContractWorld.ThirdClinic, ContractWorld.Day, ContractWorld.Standard);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        var second = await SucceedAsync(engine.ClaimAsync(BookAt(ContractWorld.ThirdClinic, ContractWorld.Day, 1, 1)));

        // Same clinic, another doctor: the clinic's one entry and the facility's two follow the appointment.
        var moved = await MovedAsync(engine.RescheduleAsync(booking, BookAt(ContractWorld.SameClinic, ContractWorld.Day, 4, 1)));
        Assert.Equal(ClaimStatus.QuotaExceeded, await StatusAsync(engine.ClaimAsync(Book(5, patient: 1))));

        // Another clinic: it takes that clinic's entry and gives clinic 10's back.
        var elsewhere = await MovedAsync(engine.RescheduleAsync(moved, BookAt(ContractWorld.OtherClinic, ContractWorld.Day, 4, 1)));
        Assert.Equal(ClaimStatus.QuotaExceeded, await StatusAsync(engine.ClaimAsync(BookAt(ContractWorld.OtherClinic, ContractWorld.Day, 6, 1))));
        Assert.Equal(ClaimStatus.QuotaExceeded, await StatusAsync(engine.ClaimAsync(Book(5, patient: 1)))); // the facility's two: elsewhere and second
        await SucceedAsync(engine.ReleaseAsync(second));
        await SucceedAsync(engine.ClaimAsync(Book(5, patient: 1)));
        Assert.Equal(ClaimStatus.QuotaExceeded, (await engine.RescheduleAsync(elsewhere, BookAt(ContractWorld.Doctor, ContractWorld.Day, 6, 1))).Status);
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Day)));
    }

    [Fact]
    public async Task A_keyed_move_retried_returns_its_first_result()
    {
        var engine = await EngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        var first = await engine.RescheduleAsync(booking, Book(6, patient: 1, key: "move-k"));
        Assert.True(first.Succeeded);
        var again = await engine.RescheduleAsync(booking, Book(6, patient: 1, key: "move-k"));
        Assert.True(again.Succeeded);
        Assert.Equal(first.Reservation, again.Reservation);
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, Calendar));
    }

    [Fact]
    public async Task A_target_for_another_patient_is_bad_input()
    {
        var engine = await EngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        Assert.Equal(SlotEngineError.ReschedulePatientMismatch, await ErrorAsync(async () => await engine.RescheduleAsync(booking, Book(6, patient: 2))));
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, Calendar));
    }

    [Fact]
    public async Task Racing_moves_of_one_appointment_leave_exactly_one_live_claim()
    {
        var engine = await EngineAsync(o => o.MaxActiveAppointments = 1);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var results = await Task.WhenAll(Enumerable.Range(1, 8)
            .Select(i => Task.Run(async () => await engine.RescheduleAsync(booking, Book(i * 2, patient: 1)))));

        Assert.Equal(1, results.Count(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.True(r.Status is ClaimStatus.Stale or ClaimStatus.MoveInProgress or ClaimStatus.ActiveLimitReached or ClaimStatus.QuotaExceeded, r.ToString()));
        Assert.Equal(1, await LiveClaimsAsync(engine, 1, Calendar));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(Book(40, patient: 1))));
    }
}
