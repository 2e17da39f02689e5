namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_first_reservation_and_claims_once()
    {
        var engine = await EngineAsync();
        var first = await SucceedAsync(engine.ClaimAsync(Hold(12, patient: 1, key: "retry-1")));
        var again = await SucceedAsync(engine.ClaimAsync(Hold(12, patient: 1, key: "retry-1")));
        Assert.Equal(first.Token, again.Token);
        Assert.Equal(first.Seat, again.Seat);
        Assert.Equal(first.Slots, again.Slots);
        var snapshot = await engine.GetCalendarAsync(Calendar);
        Assert.Equal(47, snapshot.FreeSeatCount);
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_request_is_an_error_and_changes_nothing()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        await SucceedAsync(engine.ClaimAsync(Book(12, patient: 1, key: "reused")));
        Assert.Equal(SlotEngineError.IdempotencyKeyReused, await ErrorAsync(async () => await engine.ClaimAsync(Book(13, patient: 1, key: "reused"))));
        Assert.Equal(SlotEngineError.IdempotencyKeyReused, await ErrorAsync(async () => await engine.ClaimAsync(Book(12, patient: 2, key: "reused"))));
        Assert.Equal(SlotEngineError.IdempotencyKeyReused, await ErrorAsync(async () => await engine.ClaimAsync(Hold(12, patient: 1, key: "reused"))));
        Assert.Equal(SlotStatus.Free, (await engine.GetCalendarAsync(Calendar))[13].Status);
    }

    [Fact]
    public async Task A_failed_keyed_claim_leaves_the_key_free_for_another_request()
    {
        var engine = await EngineAsync(o => o.Quotas = QuotaPolicy.None);
        await SucceedAsync(engine.ClaimAsync(Book(14, patient: 2)));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(Book(14, patient: 1, key: "free-again"))));
        var other = await SucceedAsync(engine.ClaimAsync(Book(15, patient: 1, key: "free-again")));
        Assert.Equal(new SlotRange(15, 1), other.Slots);
    }
}
