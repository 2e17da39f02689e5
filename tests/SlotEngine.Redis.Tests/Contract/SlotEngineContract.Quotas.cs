namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task One_claim_per_clinic_per_day_and_a_release_gives_the_quota_back()
    {
        var engine = await EngineAsync();
        await engine.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Standard);
        var sameClinic = new CalendarKey(ContractWorld.SameClinic, ContractWorld.Day);
        var hold = await SucceedAsync(engine.ClaimAsync(Hold(0, patient: 1)));
        Assert.Equal(ClaimStatus.QuotaExceeded, await StatusAsync(engine.ClaimAsync(ClaimRequest.Book(sameClinic, SlotRange.Single(0), ContractWorld.Patient(1)))));
        Assert.Equal(ClaimStatus.QuotaExceeded, await StatusAsync(engine.ClaimAsync(Hold(5, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(sameClinic, SlotRange.Single(0), ContractWorld.Patient(2))));

        await SucceedAsync(engine.ReleaseAsync(hold));
        await SucceedAsync(engine.ClaimAsync(Hold(5, patient: 1)));
    }

    [Fact]
    public async Task Two_claims_per_facility_per_day_across_its_clinics()
    {
        var engine = await EngineAsync();
        foreach (var provider in new[] { ContractWorld.OtherClinic, ContractWorld.ThirdClinic, ContractWorld.OtherFacility })
        {
            await engine.PublishAsync(provider, ContractWorld.Day, ContractWorld.Standard);
        }

        ClaimRequest At(ProviderId provider) => ClaimRequest.Book(new CalendarKey(provider, ContractWorld.Day), SlotRange.Single(3), ContractWorld.Patient(1));
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 1)));
        await SucceedAsync(engine.ClaimAsync(At(ContractWorld.OtherClinic)));
        Assert.Equal(ClaimStatus.QuotaExceeded, await StatusAsync(engine.ClaimAsync(At(ContractWorld.ThirdClinic))));
        await SucceedAsync(engine.ClaimAsync(At(ContractWorld.OtherFacility)));

        // Another day has its own quota.
        var otherDay = ContractWorld.Day.AddDays(1);
        await engine.PublishAsync(ContractWorld.Doctor, otherDay, ContractWorld.Standard);
        await SucceedAsync(engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, otherDay), SlotRange.Single(3), ContractWorld.Patient(1))));
    }

    [Fact]
    public async Task A_claim_that_fails_does_not_use_up_the_quota()
    {
        var engine = await EngineAsync();
        await SucceedAsync(engine.ClaimAsync(Book(6, patient: 2)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(6, patient: 1))));
        await engine.BlockAsync(Calendar, SlotRange.Single(9));
        Assert.Equal(ClaimStatus.Closed, await StatusAsync(engine.ClaimAsync(Book(9, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(Book(7, patient: 1)));
    }

    [Fact]
    public async Task A_claim_displaced_by_a_block_no_longer_counts_against_the_quota()
    {
        var engine = await EngineAsync();
        await SucceedAsync(engine.ClaimAsync(Book(6, patient: 1)));
        await engine.BlockAsync(Calendar, SlotRange.Single(6));
        await SucceedAsync(engine.ClaimAsync(Book(7, patient: 1)));
    }
}
