namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// A day's own reservation (<see cref="DayTemplate.Reserved"/>, issue 12's leftovers): it replaces the engine-wide
/// <see cref="SlotEngineOptions.Reserved"/> on the days published with it, and <see cref="ReservedCapacity.None"/>
/// reserves nothing there. Release instants lie days away from now.
/// </summary>
public abstract partial class SlotEngineContract
{
    private static DayTemplate StandardReserving(ReservedCapacity reserved) => ContractWorld.Standard.WithReserved(reserved);

    [Fact]
    public async Task A_day_published_with_its_own_reservation_keeps_it_for_the_pool_and_other_days_do_not()
    {
        var engine = await EngineAsync(publish: false);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, StandardReserving(Unreleased(1, 2)));
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day.AddDays(1), ContractWorld.Standard);
        var nextDay = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1));

        Assert.Equal(ClaimStatus.ReservedForPool, await StatusAsync(engine.ClaimAsync(Book(0, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 2) with { Pool = "fd" }));
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(nextDay, SlotRange.Single(0), ContractWorld.Patient(3))));
    }

    [Fact]
    public async Task A_day_published_with_no_reservation_overrides_the_engine_wide_one()
    {
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 1), publish: false);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, StandardReserving(ReservedCapacity.None));
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day.AddDays(1), ContractWorld.Standard);

        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        var nextDay = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day.AddDays(1));
        Assert.Equal(ClaimStatus.ReservedForPool, await StatusAsync(engine.ClaimAsync(ClaimRequest.Book(nextDay, SlotRange.Single(0), ContractWorld.Patient(2)))));
    }

    [Fact]
    public async Task A_days_own_reservation_replaces_the_engine_wide_one_in_seats_slots_and_pool()
    {
        // Engine-wide: pool "fd" on every slot; this day: pool "vet" on every 4th slot, one of two seats.
        var engine = await EngineAsync(o => o.Reserved = Unreleased(1, 1), publish: false);
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Capacity2.WithReserved(new ReservedCapacity("vet", 1, 4, TimeSpan.Zero)));

        // Slot 1 is not reserved on this day: a plain claim may take both seats.
        Assert.Equal(0, (await SucceedAsync(engine.ClaimAsync(BookPair(1, patient: 1)))).Seat);
        Assert.Equal(1, (await SucceedAsync(engine.ClaimAsync(BookPair(1, patient: 2)))).Seat);

        // Slot 4 is: "fd" is an ordinary claim here and is steered to seat 0; "vet" takes the reserved seat.
        Assert.Equal(0, (await SucceedAsync(engine.ClaimAsync(BookPair(4, patient: 3, pool: "fd")))).Seat);
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(BookPair(4, patient: 4))));
        Assert.Equal(1, (await SucceedAsync(engine.ClaimAsync(BookPair(4, patient: 5, pool: "vet")))).Seat);
    }

    [Fact]
    public async Task A_search_hides_the_days_own_reserved_starts_from_others_only()
    {
        var engine = await EngineAsync(publish: false);
        await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, StandardReserving(Unreleased(1, 2)));
        var query = EarliestQuery.ForProviders([ContractWorld.Doctor], ContractWorld.Day, ContractWorld.Day, 1, 3).WithStartsPerCalendar(3);

        var plain = await engine.FindEarliestAsync(query);
        var pool = await engine.FindEarliestAsync(query.WithPool("fd"));

        Assert.Equal([1, 3, 5], plain.Select(s => s.Slots.First));
        Assert.Equal([0, 1, 2], pool.Select(s => s.Slots.First));
    }

    [Fact]
    public async Task Ten_cohorts_by_patient_key_answer_as_CohortOf_says_for_every_patient()
    {
        // Even cohorts opened two days ago (Day − 5), odd ones open seven days after that: in five days.
        var week = TimeSpan.FromDays(7);
        var policy = new ReleasePolicy(5, TimeSpan.Zero, CohortBasis.PatientKey, [TimeSpan.Zero, week, TimeSpan.Zero, week, TimeSpan.Zero, week, TimeSpan.Zero, week, TimeSpan.Zero, week]);
        var engine = await EngineAsync(o =>
        {
            o.Release = policy;
            o.Quotas = QuotaPolicy.None;
        });
        var cohorts = new HashSet<int>();
        for (var i = 0; i < 40; i++)
        {
            // Keys with high bits set too, so the 64-bit multiply behind the cohort is exercised throughout.
            var patient = new PatientKey(unchecked((0xFEDC_BA98_7654_3210UL * (ulong)(i + 1)) ^ (ulong)i));
            var cohort = policy.CohortOf(patient, null);
            cohorts.Add(cohort);
            var status = await StatusAsync(engine.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(i), patient)));
            Assert.Equal(cohort % 2 == 0 ? ClaimStatus.Succeeded : ClaimStatus.NotYetOpen, status);
        }

        Assert.True(cohorts.Count >= 8, $"the keys fell in {cohorts.Count} cohorts only");
    }
}
