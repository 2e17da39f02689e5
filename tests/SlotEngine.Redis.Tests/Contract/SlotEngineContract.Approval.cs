namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// Approval (<see cref="ApprovalPolicy"/>). No test waits for a deadline: a lapsed booking is made under a policy
/// whose deadline has already passed when it is booked (approval needed 2 days ahead, deadline 4 days before the
/// day), so each engine judges it passed by its own clock (SlotEngine.Redis: Redis TIME) from the start.
/// </summary>
public abstract partial class SlotEngineContract
{
    private static readonly TimeSpan DeadlineBeforeDay = TimeSpan.FromHours(4);

    private Task<ISlotEngine> ApprovingEngineAsync(int minDaysAhead = 2, TimeSpan? deadlineBeforeDay = null, TimeSpan? cancelCutoff = null) =>
        EngineAsync(o =>
        {
            o.Approval = new ApprovalPolicy(minDaysAhead, deadlineBeforeDay ?? DeadlineBeforeDay);
            o.Quotas = QuotaPolicy.None;
            o.PatientCancelCutoff = cancelCutoff ?? TimeSpan.Zero;
        });

    /// <summary>20:00 local the day before <see cref="ContractWorld.Day"/> in Europe/Istanbul (the MHRS deadline).</summary>
    private static DateTimeOffset DayBeforeAt20 =>
        new(ContractWorld.Day.AddDays(-1).ToDateTime(new TimeOnly(20, 0)), ContractWorld.Istanbul.GetUtcOffset(ContractWorld.Day.AddDays(-1).ToDateTime(new TimeOnly(20, 0))));

    [Fact]
    public async Task A_booking_made_the_minimum_days_ahead_awaits_approval_until_its_deadline()
    {
        var engine = await ApprovingEngineAsync(minDaysAhead: 3); // ContractWorld.Day is 3 days ahead

        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));

        Assert.Equal(DayBeforeAt20, booking.HoldExpiresAt);
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(0, patient: 2))));
        Assert.Equal(47, (await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day))[0].FreeSeats);
    }

    [Fact]
    public async Task A_booking_nearer_than_the_minimum_counts_as_approved_and_holds_are_untouched()
    {
        var engine = await ApprovingEngineAsync(minDaysAhead: 4); // ContractWorld.Day is 3 days ahead

        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 2)));

        Assert.Null(booking.HoldExpiresAt);
        Assert.NotEqual(DayBeforeAt20, hold.HoldExpiresAt);
        Assert.NotNull(hold.HoldExpiresAt);
    }

    [Fact]
    public async Task Approval_is_off_by_default()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);

        Assert.Null((await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)))).HoldExpiresAt);
        Assert.Same(ApprovalPolicy.None, new SlotEngineOptions().Approval);
        Assert.False(ApprovalPolicy.None.IsEnabled);
        Assert.Equal(2, ApprovalPolicy.Mhrs.MinDaysAhead);
        Assert.Equal(TimeSpan.FromHours(4), ApprovalPolicy.Mhrs.DeadlineBeforeDay);
    }

    [Fact]
    public async Task Approving_before_the_deadline_books_it_and_then_the_cancel_cutoff_applies()
    {
        var engine = await ApprovingEngineAsync(cancelCutoff: TimeSpan.FromDays(400));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        Assert.NotNull(booking.HoldExpiresAt);

        var approved = await SucceedAsync(engine.ApproveAsync(booking));

        Assert.Null(approved.HoldExpiresAt);
        Assert.Equal(booking.Token, approved.Token);
        Assert.True((await engine.ApproveAsync(booking)).Succeeded, "approving again succeeds again");
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(0, patient: 2))));
        Assert.Equal(47, (await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day))[0].FreeSeats);
        Assert.Equal(ClaimStatus.CancelTooLate, await StatusAsync(engine.CancelAsync(approved, CancelActor.Patient)));
    }

    [Fact]
    public async Task An_unapproved_booking_may_be_cancelled_by_its_patient_whatever_the_cutoff()
    {
        var engine = await ApprovingEngineAsync(cancelCutoff: TimeSpan.FromDays(400));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));

        await SucceedAsync(engine.CancelAsync(booking, CancelActor.Patient));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 2)));
    }

    [Fact]
    public async Task Past_the_deadline_another_patient_takes_the_slot_and_the_owners_approval_has_lapsed()
    {
        var engine = await ApprovingEngineAsync(deadlineBeforeDay: TimeSpan.FromDays(4)); // the deadline has passed
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));

        var other = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 2)));

        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(booking)));
        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(other))); // its deadline has passed too
        await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 3)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ReleaseAsync(booking)));
    }

    [Fact]
    public async Task Past_the_deadline_the_owners_approval_has_lapsed_even_when_nobody_took_the_slot()
    {
        var engine = await ApprovingEngineAsync(deadlineBeforeDay: TimeSpan.FromDays(4));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));

        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(booking)));
        Assert.Equal(48, (await engine.GetFreeCountsAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day))[0].FreeSeats);
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 2)));
    }

    [Fact]
    public async Task Approving_with_a_wrong_token_or_patient_is_stale()
    {
        var engine = await ApprovingEngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 2)));

        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ApproveAsync(booking with { Token = booking.Token + 1 })));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.ApproveAsync(booking with { Patient = ContractWorld.Patient(2) })));
        await SucceedAsync(engine.ApproveAsync(booking));
    }
}
