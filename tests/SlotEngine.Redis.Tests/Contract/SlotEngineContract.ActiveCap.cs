namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    private Task<ISlotEngine> CappedEngineAsync(int cap) =>
        EngineAsync(o =>
        {
            o.MaxActiveAppointments = cap;
            o.Quotas = QuotaPolicy.None;
        });

    [Fact]
    public async Task A_patient_holds_at_most_the_cap_of_live_appointments_and_a_release_frees_a_place()
    {
        var engine = await CappedEngineAsync(2);
        var first = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(Hold(1, patient: 1)));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(Book(2, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(Book(2, patient: 2)));

        await SucceedAsync(engine.ReleaseAsync(first));
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 1)));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(Book(4, patient: 1))));
    }

    [Fact]
    public async Task The_cap_spans_calendars_and_failed_or_displaced_claims_do_not_count()
    {
        var engine = await CappedEngineAsync(2);
        var otherDay = ContractWorld.Day.AddDays(2);
        await engine.PublishAsync(ContractWorld.OtherFacility, otherDay, ContractWorld.Standard);
        var elsewhere = new CalendarKey(ContractWorld.OtherFacility, otherDay);
        await SucceedAsync(engine.ClaimAsync(Book(5, patient: 9)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(5, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(Book(6, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(elsewhere, SlotRange.Single(0), ContractWorld.Patient(1))));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(ClaimRequest.Book(elsewhere, SlotRange.Single(1), ContractWorld.Patient(1)))));

        await engine.BlockAsync(Calendar, SlotRange.Single(6));
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(elsewhere, SlotRange.Single(1), ContractWorld.Patient(1))));
    }

    [Fact]
    public async Task A_keyed_retry_at_the_cap_returns_its_first_result()
    {
        var engine = await CappedEngineAsync(1);
        var first = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1, key: "cap-k")));
        Assert.Equal(first, await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1, key: "cap-k"))));
        Assert.Equal(ClaimStatus.ActiveLimitReached, await StatusAsync(engine.ClaimAsync(Book(1, patient: 1))));
    }

    [Fact]
    public async Task Many_threads_for_one_patient_never_pass_the_cap()
    {
        var engine = await CappedEngineAsync(3);
        for (var round = 0; round < 2; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 16)
                .Select(i => Task.Run(async () => await engine.ClaimAsync(Book((round * 16) + i, patient: 1)))));
            Assert.Equal(3, results.Count(r => r.Succeeded));
            Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ClaimStatus.ActiveLimitReached, r.Status));
            foreach (var result in results.Where(r => r.Succeeded))
            {
                await SucceedAsync(engine.ReleaseAsync(result.Reservation));
            }
        }
    }
}
