namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// Approval beyond direct bookings: a plain confirm never approves, a confirmed hold far enough ahead becomes unapproved,
/// lapses are reported apart by sweeps and audited as their own action, approvals as theirs. As in
/// <c>SlotEngineContract.Approval.cs</c>, no test waits for a deadline: a lapse is made under a policy whose deadline has
/// passed already.
/// </summary>
public abstract partial class SlotEngineContract
{
    /// <summary>An engine that audits, counts no quotas and asks for approval two days ahead, by <paramref name="deadlineBeforeDay"/>.</summary>
    private Task<ISlotEngine> AuditingApprovingEngineAsync(TimeSpan deadlineBeforeDay) =>
        EngineAsync(o =>
        {
            o.Audit = true;
            o.Quotas = QuotaPolicy.None;
            o.Approval = new ApprovalPolicy(2, deadlineBeforeDay);
        });

    [Fact]
    public async Task A_plain_confirm_of_an_unapproved_booking_succeeds_without_approving_it()
    {
        var engine = await ApprovingEngineAsync(cancelCutoff: TimeSpan.FromDays(400));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));

        var confirmed = await SucceedAsync(engine.ConfirmAsync(booking));

        Assert.Equal(DayBeforeAt20, confirmed.HoldExpiresAt);
        Assert.Equal(DayBeforeAt20, (await SucceedAsync(engine.ConfirmAsync(confirmed))).HoldExpiresAt);

        // Still unapproved: its patient may cancel it whatever the cutoff, as a hold.
        await SucceedAsync(engine.CancelAsync(confirmed, CancelActor.Patient));
    }

    [Fact]
    public async Task A_hold_confirmed_far_enough_ahead_becomes_an_unapproved_booking_until_approved()
    {
        var engine = await ApprovingEngineAsync(cancelCutoff: TimeSpan.FromDays(400));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));
        Assert.NotEqual(DayBeforeAt20, hold.HoldExpiresAt);

        var unapproved = await SucceedAsync(engine.ConfirmAsync(hold));
        Assert.Equal(DayBeforeAt20, unapproved.HoldExpiresAt);
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(0, patient: 2))));

        var approved = await SucceedAsync(engine.ApproveAsync(unapproved));
        Assert.Null(approved.HoldExpiresAt);
        Assert.Null((await SucceedAsync(engine.ConfirmAsync(approved))).HoldExpiresAt);
        Assert.Equal(ClaimStatus.CancelTooLate, await StatusAsync(engine.CancelAsync(approved, CancelActor.Patient)));
    }

    [Fact]
    public async Task A_hold_confirmed_nearer_than_the_minimum_is_booked_at_once()
    {
        var engine = await ApprovingEngineAsync(minDaysAhead: 4, cancelCutoff: TimeSpan.FromDays(400)); // ContractWorld.Day is 3 days ahead
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));

        var booked = await SucceedAsync(engine.ConfirmAsync(hold));

        Assert.Null(booked.HoldExpiresAt);
        Assert.Equal(ClaimStatus.CancelTooLate, await StatusAsync(engine.CancelAsync(booked, CancelActor.Patient)));
    }

    [Fact]
    public async Task Approving_a_live_hold_books_it_at_once()
    {
        var engine = await ApprovingEngineAsync(cancelCutoff: TimeSpan.FromDays(400));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));

        var approved = await SucceedAsync(engine.ApproveAsync(hold));

        Assert.Null(approved.HoldExpiresAt);
        Assert.Equal(ClaimStatus.CancelTooLate, await StatusAsync(engine.CancelAsync(approved, CancelActor.Patient)));
    }

    [Fact]
    public async Task A_hold_confirmed_past_its_deadline_lapses_at_once()
    {
        var engine = await ApprovingEngineAsync(deadlineBeforeDay: TimeSpan.FromDays(4)); // the deadline has passed
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));

        var confirmed = await SucceedAsync(engine.ConfirmAsync(hold));

        Assert.NotNull(confirmed.HoldExpiresAt);
        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(confirmed)));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 2)));
    }

    [Fact]
    public async Task A_sweep_reports_unapproved_bookings_released_at_their_deadline_apart_from_expired_holds()
    {
        var engine = await ApprovingEngineAsync(deadlineBeforeDay: TimeSpan.FromDays(4));
        var lapsed = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 2)));

        var swept = await engine.SweepAsync();

        Assert.Empty(swept.ExpiredHolds);
        var released = Assert.Single(swept.UnapprovedReleased);
        Assert.Equal((lapsed.Token, lapsed.Slots, lapsed.Patient), (released.Token, released.Slots, released.Patient));
        Assert.Equal(lapsed.HoldExpiresAt!.Value.ToUnixTimeMilliseconds(), released.HoldExpiresAt!.Value.ToUnixTimeMilliseconds());
        Assert.Empty((await engine.SweepAsync()).UnapprovedReleased);
        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(lapsed)));
        await SucceedAsync(engine.ConfirmAsync(hold)); // a live hold is not swept
    }

    [Fact]
    public async Task Approvals_and_lapses_are_audit_actions_of_their_own_and_replay_to_the_engines_calendar()
    {
        var engine = await AuditingApprovingEngineAsync(DeadlineBeforeDay);
        var direct = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(2, patient: 2)));
        var unapproved = await SucceedAsync(engine.ConfirmAsync(hold));
        await SucceedAsync(engine.ConfirmAsync(unapproved)); // changes nothing: no record
        await SucceedAsync(engine.ApproveAsync(direct));
        var waiting = await SucceedAsync(engine.ClaimAsync(Book(4, patient: 3)));

        var records = await AuditOfAsync(engine, Calendar);

        Assert.Equal([AuditAction.Claim, AuditAction.Claim, AuditAction.Confirm, AuditAction.Approve, AuditAction.Claim], records.Select(r => r.Action));
        Assert.Equal((false, DayBeforeAt20.ToUnixTimeMilliseconds()), (records[0].Booked, records[0].HoldExpiresAt!.Value.ToUnixTimeMilliseconds()));
        Assert.Equal((hold.Token, false, DayBeforeAt20.ToUnixTimeMilliseconds()), (records[2].Token, records[2].Booked, records[2].HoldExpiresAt!.Value.ToUnixTimeMilliseconds()));
        Assert.Equal(direct.Token, records[3].Token);
        var replay = ReplayOf(records);

        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Empty(replay.Compare(snapshot, DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5)));
        Assert.Equal([true, false, false], replay.ClaimsOf(Calendar, DateTimeOffset.UtcNow).Select(c => c.Booked));
        Assert.Equal(waiting.Token, replay.ClaimsOf(Calendar, DateTimeOffset.UtcNow)[2].Token);
    }

    [Fact]
    public async Task A_lapse_is_audited_when_a_sweep_or_a_claim_releases_it_and_replay_drops_it()
    {
        var engine = await AuditingApprovingEngineAsync(TimeSpan.FromDays(4)); // the deadline has passed
        var swept = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var taken = await SucceedAsync(engine.ClaimAsync(Book(1, patient: 2)));
        var taker = await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 3))); // releases the lapsed booking on its way
        Assert.Equal(swept.Token, Assert.Single((await engine.SweepAsync()).UnapprovedReleased).Token);
        Assert.NotEqual(taken.Token, taker.Token);

        var records = await AuditOfAsync(engine, Calendar);

        var lapses = records.Where(r => r.Action == AuditAction.ApprovalLapsed).ToList();
        Assert.Equal([swept.Token, taken.Token], lapses.Select(r => r.Token).Order());
        Assert.All(lapses, r => Assert.NotNull(r.HoldExpiresAt));
        var replay = ReplayOf(records);

        Assert.Empty(replay.Compare(await engine.GetCalendarAsync(Calendar), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Every_release_at_the_deadline_is_counted_once_by_a_claim_that_met_it_or_by_a_sweep()
    {
        var engine = await ApprovingEngineAsync(deadlineBeforeDay: TimeSpan.FromDays(4)); // the deadline has passed
        Assert.Equal(0, LapsesCounted(engine));
        var swept = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var taken = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 2)));
        Assert.Equal(0, LapsesCounted(engine));

        await SucceedAsync(engine.ClaimAsync(Hold(2, patient: 3))); // releases the lapsed booking on its way
        Assert.Equal(1, LapsesCounted(engine));
        await SucceedAsync(engine.ClaimAsync(Hold(3, patient: 4))); // a free slot: nothing lapses
        Assert.Equal(1, LapsesCounted(engine));

        Assert.Equal(swept.Token, Assert.Single((await engine.SweepAsync()).UnapprovedReleased).Token);
        Assert.Equal(2, LapsesCounted(engine));
        Assert.Empty((await engine.SweepAsync()).UnapprovedReleased);
        Assert.Equal(2, LapsesCounted(engine));
        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(taken)));
    }

    [Fact]
    public async Task A_block_releases_an_unapproved_booking_past_its_deadline_as_a_lapse_not_a_displacement()
    {
        var engine = await AuditingApprovingEngineAsync(TimeSpan.FromDays(4)); // the deadline has passed
        var lapsed = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 2)));

        var blocked = await engine.BlockAsync(Calendar, new SlotRange(0, 2));

        Assert.Equal(hold.Token, Assert.Single(blocked.Displaced).Reservation.Token);
        Assert.Equal(1, LapsesCounted(engine));
        Assert.Empty((await engine.SweepAsync()).UnapprovedReleased); // released once, by the block
        Assert.Equal(1, LapsesCounted(engine));
        Assert.Equal(ClaimStatus.ApprovalLapsed, await StatusAsync(engine.ApproveAsync(lapsed)));

        var records = await AuditOfAsync(engine, Calendar);

        var lapse = Assert.Single(records, r => r.Action == AuditAction.ApprovalLapsed);
        Assert.Equal((lapsed.Token, lapsed.Slots), (lapse.Token, lapse.Slots));
        Assert.Equal(lapsed.HoldExpiresAt!.Value.ToUnixTimeMilliseconds(), lapse.HoldExpiresAt!.Value.ToUnixTimeMilliseconds());
        var replay = ReplayOf(records);

        Assert.Empty(replay.Compare(await engine.GetCalendarAsync(Calendar), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_snapshot_shows_which_seats_await_approval()
    {
        var engine = await ApprovingEngineAsync(cancelCutoff: TimeSpan.FromDays(400));
        var direct = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var confirmed = await SucceedAsync(engine.ConfirmAsync(await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 2)))));
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(2, patient: 3)));
        await SucceedAsync(engine.ApproveAsync(await SucceedAsync(engine.ClaimAsync(Book(3, patient: 4)))));

        // The confirm and the approval may reach a store's read model through a reload: wait until it shows them.
        await Eventually.TrueAsync(
            async () => (await engine.GetCalendarAsync(Calendar))[3].Status == SlotStatus.Booked && (await engine.GetCalendarAsync(Calendar))[1].HoldExpiresAt == DayBeforeAt20,
            "the approval and the confirm are in the snapshot");
        var snapshot = await engine.GetCalendarAsync(Calendar);

        Assert.Equal(new SeatView(SlotStatus.Held, direct.Patient, direct.Token, DayBeforeAt20) { AwaitsApproval = true }, snapshot[0]);
        Assert.Equal(new SeatView(SlotStatus.Held, confirmed.Patient, confirmed.Token, DayBeforeAt20) { AwaitsApproval = true }, snapshot[1]);
        Assert.Equal(new SeatView(SlotStatus.Held, hold.Patient, hold.Token, hold.HoldExpiresAt), snapshot[2]);
        Assert.False(snapshot[3].AwaitsApproval);
    }

    /// <summary>The engine's own count of unapproved bookings released at their deadline (lazily or swept).</summary>
    private static long LapsesCounted(ISlotEngine engine) => engine switch
    {
        InMemorySlotEngine memory => memory.UnapprovedReleased,
        RedisSlotEngine redis => redis.UnapprovedReleased,
        _ => throw new InvalidOperationException("an engine this suite does not know"),
    };
}
