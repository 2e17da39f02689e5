namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    private static readonly BranchId DoctorsBranch = new(1);

    private Task<ISlotEngine> BarringEngineAsync(bool audit = false) =>
        EngineAsync(o =>
        {
            o.Bars = BarPolicy.Mhrs;
            o.Quotas = QuotaPolicy.None;
            o.Audit = audit;
        });

    private static async Task PublishElsewhereAsync(ISlotEngine engine)
    {
        await engine.PublishAsync(ContractWorld.OtherFacility, ContractWorld.Day, ContractWorld.Standard);
        await engine.PublishAsync(ContractWorld.OtherClinic, ContractWorld.Day, ContractWorld.Standard);
    }

    private static ClaimRequest BookAt(ProviderId provider, int slot, int patient) =>
        ClaimRequest.Book(new CalendarKey(provider, ContractWorld.Day), SlotRange.Single(slot), ContractWorld.Patient(patient));

    [Fact]
    public async Task A_no_show_bars_the_patient_from_the_branch_at_every_facility_but_not_from_other_branches()
    {
        var engine = await BarringEngineAsync();
        await PublishElsewhereAsync(engine);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));

        await SucceedAsync(engine.RecordOutcomeAsync(booking, AppointmentOutcome.NoShow));

        Assert.Equal(ClaimStatus.Barred, await StatusAsync(engine.ClaimAsync(Book(1, patient: 1))));
        Assert.Equal(ClaimStatus.Barred, await StatusAsync(engine.ClaimAsync(Hold(2, patient: 1))));
        Assert.Equal(ClaimStatus.Barred, await StatusAsync(engine.ClaimAsync(BookAt(ContractWorld.OtherFacility, 0, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(BookAt(ContractWorld.OtherClinic, 0, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 2)));
    }

    [Fact]
    public async Task Being_seen_elsewhere_bars_and_attending_does_not()
    {
        var engine = await BarringEngineAsync();
        var attended = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var elsewhere = await SucceedAsync(engine.ClaimAsync(Book(1, patient: 2)));

        await SucceedAsync(engine.RecordOutcomeAsync(attended, AppointmentOutcome.Attended));
        await SucceedAsync(engine.RecordOutcomeAsync(elsewhere, AppointmentOutcome.SeenElsewhere));

        await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));
        Assert.Equal(ClaimStatus.Barred, await StatusAsync(engine.ClaimAsync(Book(3, patient: 2))));
    }

    [Fact]
    public async Task Exempt_patients_claim_while_barred_and_an_administrator_lifts_a_bar()
    {
        var engine = await BarringEngineAsync();
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        await SucceedAsync(engine.RecordOutcomeAsync(booking, AppointmentOutcome.NoShow));

        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1) with { PatientAttributes = PatientAttributes.Over65 }));
        await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1) with { PatientAttributes = PatientAttributes.Cancer }));
        Assert.Equal(ClaimStatus.Barred, await StatusAsync(engine.ClaimAsync(Book(3, patient: 1))));

        Assert.False(await engine.LiftBarAsync(ContractWorld.Patient(1), new BranchId(2)));
        Assert.True(await engine.LiftBarAsync(ContractWorld.Patient(1), DoctorsBranch));
        Assert.False(await engine.LiftBarAsync(ContractWorld.Patient(1), DoctorsBranch));
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 1)));
    }

    [Fact]
    public async Task An_outcome_needs_a_live_booking_of_its_patient()
    {
        var engine = await BarringEngineAsync();
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));
        var released = await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        await SucceedAsync(engine.ReleaseAsync(released));
        var booking = await SucceedAsync(engine.ClaimAsync(Book(2, patient: 1)));

        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.RecordOutcomeAsync(hold, AppointmentOutcome.NoShow)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.RecordOutcomeAsync(released, AppointmentOutcome.NoShow)));
        Assert.Equal(ClaimStatus.Stale, await StatusAsync(engine.RecordOutcomeAsync(booking with { Patient = ContractWorld.Patient(2) }, AppointmentOutcome.NoShow)));
        Assert.Equal(SlotEngineError.InvalidOutcome, await ErrorAsync(async () => await engine.RecordOutcomeAsync(booking, (AppointmentOutcome)9)));

        // None of them barred anybody.
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(4, patient: 2)));
    }

    [Fact]
    public async Task Bars_are_off_by_default()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        await SucceedAsync(engine.RecordOutcomeAsync(booking, AppointmentOutcome.NoShow));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        Assert.False(await engine.LiftBarAsync(ContractWorld.Patient(1), DoctorsBranch));
    }

    [Fact]
    public async Task An_outcome_is_audited_and_replay_keeps_the_booking()
    {
        var engine = await BarringEngineAsync(audit: true);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        await SucceedAsync(engine.RecordOutcomeAsync(booking, AppointmentOutcome.NoShow));

        var records = await AuditOfAsync(engine, Calendar);
        Assert.Equal([AuditAction.Claim, AuditAction.Outcome], records.Select(r => r.Action));
        var outcome = records[1];
        Assert.Equal(AppointmentOutcome.NoShow, outcome.Outcome);
        Assert.Equal((booking.Token, booking.Patient, booking.Seat, booking.Slots), (outcome.Token, outcome.Patient, outcome.Seat, outcome.Slots));
        Assert.Equal(default, records[0].Outcome);

        var replay = ReplayOf(records);

        Assert.Equal([booking.Token], replay.ClaimsOf(Calendar, DateTimeOffset.UtcNow).Select(c => c.Token));
    }

    [Fact]
    public async Task Many_threads_never_book_a_barred_patient()
    {
        var engine = await BarringEngineAsync();
        await PublishElsewhereAsync(engine);
        var booking = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        await SucceedAsync(engine.RecordOutcomeAsync(booking, AppointmentOutcome.NoShow));

        // The barred patient and others race for the same slots, on both facilities of the branch.
        var results = await Task.WhenAll(Enumerable.Range(1, 24).Select(i => Task.Run(async () =>
        {
            var provider = i % 2 == 0 ? ContractWorld.Doctor : ContractWorld.OtherFacility;
            var barred = await engine.ClaimAsync(BookAt(provider, i, patient: 1));
            var other = await engine.ClaimAsync(BookAt(provider, i, patient: 100 + i));
            return (barred, other);
        })));

        Assert.All(results, r => Assert.Equal(ClaimStatus.Barred, r.barred.Status));
        Assert.All(results, r => Assert.True(r.other.Succeeded, "expected success, got " + r.other));
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal([0], Enumerable.Range(0, snapshot.SlotCount).Where(s => snapshot[s].Owner == ContractWorld.Patient(1)));
    }
}
