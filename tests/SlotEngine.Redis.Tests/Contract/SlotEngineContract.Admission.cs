namespace SlotEngine.Redis.Tests.Contract;

/// <summary>The per-patient admission rate (<see cref="AdmissionRate"/>). One token comes back every 20 minutes, so the answers cannot change during a test.</summary>
public abstract partial class SlotEngineContract
{
    private Task<ISlotEngine> RateLimitedEngineAsync(int attempts) =>
        EngineAsync(o =>
        {
            o.Admission = new AdmissionRate(attempts, TimeSpan.FromHours(1));
            o.Quotas = QuotaPolicy.None;
        });

    [Fact]
    public async Task Every_attempt_counts_and_the_next_is_RateLimited_without_a_change()
    {
        var engine = await RateLimitedEngineAsync(3);
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 9)));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 1)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(0, patient: 1))));
        await SucceedAsync(engine.ClaimAsync(Hold(2, patient: 1)));
        Assert.Equal(ClaimStatus.RateLimited, await StatusAsync(engine.ClaimAsync(Book(3, patient: 1))));
        Assert.Equal(SlotStatus.Free, (await engine.GetCalendarAsync(Calendar))[3].Status);
        await SucceedAsync(engine.ClaimAsync(Book(3, patient: 2)));
    }

    [Fact]
    public async Task A_keyed_retry_is_an_attempt_too()
    {
        var engine = await RateLimitedEngineAsync(2);
        var first = await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1, key: "rate-k")));
        Assert.Equal(first, await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1, key: "rate-k"))));
        Assert.Equal(ClaimStatus.RateLimited, await StatusAsync(engine.ClaimAsync(Book(0, patient: 1, key: "rate-k"))));
    }

    [Fact]
    public async Task Many_threads_for_one_patient_are_admitted_exactly_the_allowed_times()
    {
        var engine = await RateLimitedEngineAsync(5);
        var results = await Task.WhenAll(Enumerable.Range(0, 24)
            .Select(i => Task.Run(async () => await engine.ClaimAsync(Book(i, patient: 1)))));
        Assert.Equal(5, results.Count(r => r.Status != ClaimStatus.RateLimited));
    }
}
