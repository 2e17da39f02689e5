namespace SlotEngine.Redis.Tests.Contract;

public abstract partial class SlotEngineContract
{
    private static ClaimRequest ByCall(int first, int patient, string? callId, string? key = null) =>
        Book(first, patient, key: key) with { Actor = Actor.CallCentreAgent, Channel = BookingChannel.CallCentre, CallId = callId };

    [Fact]
    public async Task A_claim_carries_its_actor_and_channel_and_defaults_to_the_patient_on_the_web()
    {
        var request = Book(0, patient: 1);
        Assert.Equal(Actor.Patient, request.Actor);
        Assert.Equal(BookingChannel.Web, request.Channel);
        Assert.Null(request.CallId);

        var engine = await EngineAsync();
        await SucceedAsync(engine.ClaimAsync(request with { Actor = Actor.Guardian, Channel = BookingChannel.Mobile }));
        await SucceedAsync(engine.ClaimAsync(Book(1, patient: 2) with { Actor = Actor.FamilyDoctor, Channel = BookingChannel.FamilyDoctor }));

        // Without a per-call limit a call-centre claim needs no call id.
        await SucceedAsync(engine.ClaimAsync(ByCall(2, patient: 3, callId: null)));
    }

    [Fact]
    public async Task A_call_makes_at_most_its_limit_of_claims_and_failed_claims_do_not_count()
    {
        var engine = await EngineAsync(o => o.Actors = ActorPolicy.Mhrs);
        await SucceedAsync(engine.ClaimAsync(Book(5, patient: 50)));
        await SucceedAsync(engine.ClaimAsync(ByCall(0, patient: 1, "call-1")));
        await SucceedAsync(engine.ClaimAsync(ByCall(1, patient: 2, "call-1")));
        Assert.Equal(ClaimStatus.Taken, await StatusAsync(engine.ClaimAsync(ByCall(5, patient: 3, "call-1"))));
        var third = await SucceedAsync(engine.ClaimAsync(ByCall(2, patient: 3, "call-1")));
        await SucceedAsync(engine.ClaimAsync(ByCall(3, patient: 4, "call-1")));
        Assert.Equal(ClaimStatus.CallLimitReached, await StatusAsync(engine.ClaimAsync(ByCall(4, patient: 5, "call-1"))));

        // Releasing an appointment does not give the call's place back; another call has its own places.
        await SucceedAsync(engine.ReleaseAsync(third));
        Assert.Equal(ClaimStatus.CallLimitReached, await StatusAsync(engine.ClaimAsync(ByCall(4, patient: 5, "call-1"))));
        await SucceedAsync(engine.ClaimAsync(ByCall(4, patient: 5, "call-2")));

        // The refused claim changed nothing: slot 6 is still free for anyone.
        await SucceedAsync(engine.ClaimAsync(Book(6, patient: 6)));
    }

    [Fact]
    public async Task A_retried_keyed_claim_of_a_call_counts_once()
    {
        var engine = await EngineAsync(o => o.Actors = new ActorPolicy(2, TimeSpan.FromHours(1)));
        var first = await SucceedAsync(engine.ClaimAsync(ByCall(0, patient: 1, "call-r", key: "k-1")));
        var again = await SucceedAsync(engine.ClaimAsync(ByCall(0, patient: 1, "call-r", key: "k-1")));
        Assert.Equal(first, again);
        await SucceedAsync(engine.ClaimAsync(ByCall(1, patient: 2, "call-r")));
        Assert.Equal(ClaimStatus.CallLimitReached, await StatusAsync(engine.ClaimAsync(ByCall(2, patient: 3, "call-r"))));
    }

    [Fact]
    public async Task Call_ids_are_checked_while_a_per_call_limit_is_set()
    {
        var engine = await EngineAsync(o => o.Actors = ActorPolicy.Mhrs);
        Assert.Equal(SlotEngineError.MissingCallId, await ErrorAsync(() => engine.ClaimAsync(ByCall(0, patient: 1, callId: null)).AsTask()));
        Assert.Equal(SlotEngineError.InvalidCallId, await ErrorAsync(() => engine.ClaimAsync(ByCall(0, patient: 1, "a{b}")).AsTask()));
        Assert.Equal(SlotEngineError.InvalidCallId, await ErrorAsync(() => engine.ClaimAsync(ByCall(0, patient: 1, string.Empty)).AsTask()));
        Assert.Equal(SlotEngineError.InvalidCallId, await ErrorAsync(() => engine.ClaimAsync(ByCall(0, patient: 1, new string('x', ClaimRequest.MaxCallIdLength + 1))).AsTask()));

        // A web claim needs no call; nothing above changed anything.
        await SucceedAsync(engine.ClaimAsync(Book(0, patient: 1)));
    }

    [Fact]
    public async Task Concurrent_claims_of_one_call_never_pass_its_limit()
    {
        var engine = await EngineAsync(o => o.Actors = ActorPolicy.Mhrs);
        var claims = Enumerable.Range(0, 24)
            .Select(i => Task.Run(async () => await engine.ClaimAsync(ByCall(i, patient: 100 + i, "call-c"))))
            .ToArray();
        var results = await Task.WhenAll(claims);
        Assert.Equal(ActorPolicy.Mhrs.MaxClaimsPerCall, results.Count(r => r.Succeeded));
        Assert.All(results.Where(r => !r.Succeeded), r => Assert.Equal(ClaimStatus.CallLimitReached, r.Status));
    }
}
