namespace SlotEngine.Redis.Tests.Contract;

/// <summary>Scheduled, staggered release (<see cref="ReleasePolicy"/>). Opening instants lie days away from now, so the answers cannot change during a test.</summary>
public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task A_day_whose_opening_is_ahead_answers_NotYetOpen_and_changes_nothing()
    {
        // Day = today + 3 opens at its own 01:00: three days from now.
        var engine = await EngineAsync(o => o.Release = new ReleasePolicy(0, TimeSpan.FromHours(1)));
        Assert.Equal(ClaimStatus.NotYetOpen, await StatusAsync(engine.ClaimAsync(Book(0, patient: 1))));
        Assert.Equal(ClaimStatus.NotYetOpen, await StatusAsync(engine.ClaimAsync(Hold(0, patient: 2))));
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(SlotStatus.Free, snapshot[0].Status);
    }

    [Fact]
    public async Task A_day_whose_opening_has_passed_is_claimed_as_usual()
    {
        var engine = await EngineAsync(o => o.Release = new ReleasePolicy(15, TimeSpan.FromHours(10)));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
    }

    [Fact]
    public async Task Cohorts_by_birth_year_open_at_their_own_offsets()
    {
        // Day − 5 is two days ago (cohort 0, digits 0–4); cohort 1 (digits 5–9, and no birth year) opens 7 days later: in four days.
        var engine = await EngineAsync(o => o.Release = new ReleasePolicy(5, TimeSpan.Zero, CohortBasis.BirthYear, [TimeSpan.Zero, TimeSpan.FromDays(7)]));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1) with { BirthYear = 1984 }));
        Assert.Equal(ClaimStatus.NotYetOpen, await StatusAsync(engine.ClaimAsync(Book(1, patient: 2) with { BirthYear = 1985 })));
        Assert.Equal(ClaimStatus.NotYetOpen, await StatusAsync(engine.ClaimAsync(Book(1, patient: 3))));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 4) with { BirthYear = 2000 }));
    }

    [Fact]
    public async Task Cohorts_by_patient_key_split_patients_and_each_answers_by_its_own()
    {
        var policy = new ReleasePolicy(5, TimeSpan.Zero, CohortBasis.PatientKey, [TimeSpan.Zero, TimeSpan.FromDays(7)]);
        var engine = await EngineAsync(o => o.Release = policy);
        var early = Enumerable.Range(1, 64).First(n => policy.CohortOf(ContractWorld.Patient(n), null) == 0);
        var late = Enumerable.Range(1, 64).First(n => policy.CohortOf(ContractWorld.Patient(n), null) == 1);
        Assert.Equal(ClaimStatus.NotYetOpen, await StatusAsync(engine.ClaimAsync(Book(0, patient: late))));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: early)));
    }

    [Fact]
    public async Task The_booking_window_is_judged_before_the_release()
    {
        var engine = await EngineAsync(o => o.Release = new ReleasePolicy(0, TimeSpan.FromHours(1)), publish: false);
        var past = new CalendarKey(ContractWorld.Doctor, ContractWorld.Today.AddDays(-1));
        await engine.PublishAsync(ContractWorld.Doctor, past.Day, ContractWorld.Standard);
        Assert.Equal(ClaimStatus.OutsideBookingWindow, await StatusAsync(engine.ClaimAsync(ClaimRequest.Book(past, SlotRange.Single(0), ContractWorld.Patient(1)))));
    }
}
