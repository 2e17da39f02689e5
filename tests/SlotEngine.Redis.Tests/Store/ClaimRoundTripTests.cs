using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Tests.Telemetry;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Round trips per claim with every patient-side rule on (daily quotas, the active cap, bars, a call's limit, the
/// admission rate: judged in the same scripts, it adds no round trip), counted
/// by the store's own round-trip meter (what the load generator reports): on a standalone server the claim script
/// judges the patient's rules itself (one round trip per claim); in a cluster the patient's keys are on another shard,
/// so one admission script there, then the claim (and the call's counter, on a third shard, when a call is counted).
/// The counts are the protocol's, so they are exact.
/// </summary>
internal static class ClaimRoundTrips
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    /// <summary>The expected round trips of each step: hold by a call-centre agent, plain hold, confirm, barred claim, claim of a taken slot.</summary>
    public readonly record struct Expected(int CallHold, int Hold, int Confirm, int Barred, int Taken);

    public static async Task CountAsync(string connectionString, Expected expected)
    {
        using var meters = new MeterScope();
        await using var nodes = new StoreNodes(connectionString, o =>
        {
            o.MeterFactory = meters;
            o.VersionCheckInterval = null; // no background round trips between the counts
            o.Engine.Quotas = QuotaPolicy.Mhrs;
            o.Engine.MaxActiveAppointments = 3;
            o.Engine.Bars = BarPolicy.Mhrs;
            o.Engine.Actors = ActorPolicy.Mhrs;
            o.Engine.Admission = new AdmissionRate(100, TimeSpan.FromHours(1));
        });
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var hold = TimeSpan.FromMinutes(5);

        var count = Counter(meters);
        var byCall = await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(1), ContractWorld.Patient(1), hold) with
        {
            Actor = Actor.CallCentreAgent,
            Channel = BookingChannel.CallCentre,
            CallId = "round-trip-call",
        });
        Assert.Equal(ClaimStatus.Succeeded, byCall.Status);
        Assert.Equal(expected.CallHold, count());

        var held = await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(2), ContractWorld.Patient(2), hold));
        Assert.Equal(ClaimStatus.Succeeded, held.Status);
        Assert.Equal(expected.Hold, count());

        var booked = await node.ConfirmAsync(held.Reservation);
        Assert.True(booked.Succeeded);
        Assert.Equal(expected.Confirm, count());

        // A no-show bars patient 2 from the branch: the next claim is refused by the admission, nothing taken.
        Assert.True((await node.RecordOutcomeAsync(booked.Reservation, AppointmentOutcome.NoShow)).Succeeded);
        count();
        Assert.Equal(ClaimStatus.Barred, (await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(3), ContractWorld.Patient(2), hold))).Status);
        Assert.Equal(expected.Barred, count());

        // A slot another patient holds: the claim fails on the calendar; in a cluster its entries are given back.
        Assert.Equal(ClaimStatus.Taken, (await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(1), ContractWorld.Patient(3), hold))).Status);
        Assert.Equal(expected.Taken, count());

        // The refused claims took nothing: patient 3's clinic quota (one a day) is still free.
        Assert.True((await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(4), ContractWorld.Patient(3), hold))).Succeeded);
    }

    /// <summary>
    /// The admission rate counts each claim call once, in the admission step of the claim's patient: a keyed retry
    /// answered from its record counts, a claim whose admission takes a second round (an entry of a cancelled booking
    /// found dead) counts once, a refused claim counts; the attempt after the allowed ones is refused and takes nothing.
    /// </summary>
    public static async Task RateAsync(string connectionString)
    {
        await using var nodes = new StoreNodes(connectionString, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.Engine.MaxActiveAppointments = 1;
            o.Engine.Admission = new AdmissionRate(4, TimeSpan.FromHours(1));
        });
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var patient = ContractWorld.Patient(5);
        var keyed = ClaimRequest.Book(Calendar, SlotRange.Single(0), patient) with { IdempotencyKey = "rate-rounds" };

        var first = await node.ClaimAsync(keyed); // 1
        Assert.True(first.Succeeded);
        Assert.Equal(first, await node.ClaimAsync(keyed)); // 2: the retry, answered from its record
        Assert.True((await node.ReleaseAsync(first.Reservation)).Succeeded);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(1), patient))).Succeeded); // 3
        Assert.Equal(ClaimStatus.ActiveLimitReached, (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(2), patient))).Status); // 4
        Assert.Equal(ClaimStatus.RateLimited, (await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(3), patient))).Status);
        Assert.Equal(SlotStatus.Free, (await node.GetCalendarAsync(Calendar))[3].Status);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(3), ContractWorld.Patient(6)))).Succeeded);
    }

    /// <summary>A function answering the round trips recorded since it was last called (or made); the reschedule counts use it too.</summary>
    internal static Func<int> Counter(MeterScope meters)
    {
        var seen = meters.Of(RedisSlotEngineTelemetry.RoundTripDuration).Count;
        return () =>
        {
            var now = meters.Of(RedisSlotEngineTelemetry.RoundTripDuration).Count;
            var delta = now - seen;
            seen = now;
            return delta;
        };
    }
}

/// <summary><see cref="ClaimRoundTrips"/> on one standalone server.</summary>
public sealed class ClaimRoundTripTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public Task A_claim_with_quota_cap_bars_and_call_limit_is_one_round_trip_on_a_standalone_server() =>
        ClaimRoundTrips.CountAsync(fixture.Server.Endpoint, new ClaimRoundTrips.Expected(CallHold: 1, Hold: 1, Confirm: 1, Barred: 1, Taken: 1));

    [Fact]
    public Task The_admission_rate_counts_each_claim_call_once_on_a_standalone_server() =>
        ClaimRoundTrips.RateAsync(fixture.Server.Endpoint);
}

/// <summary><see cref="ClaimRoundTrips"/> on the three-primary cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClaimRoundTripClusterTests(ClusterFixture fixture)
{
    [Fact]
    public Task A_claim_with_quota_cap_and_bars_is_two_round_trips_in_a_cluster_and_a_call_adds_one() =>
        ClaimRoundTrips.CountAsync(fixture.Cluster.ConnectionString, new ClaimRoundTrips.Expected(CallHold: 3, Hold: 2, Confirm: 1, Barred: 1, Taken: 3));

    [Fact]
    public Task The_admission_rate_counts_each_claim_call_once_in_a_cluster() =>
        ClaimRoundTrips.RateAsync(fixture.Cluster.ConnectionString);
}
