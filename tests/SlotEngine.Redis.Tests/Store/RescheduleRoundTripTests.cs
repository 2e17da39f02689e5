using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Tests.Telemetry;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Round trips per move with every patient-side rule on (MHRS quotas, the active cap, bars), counted by the store's own
/// round-trip meter: one script reads the moved claim's entries in both of the patient's hashes (one tag), then the
/// intent, one script re-points them in both, the admission (the target's bar, and fresh entries for a rule of another scope), the
/// target's claim and the settle. One per script on a standalone server and in a cluster alike, so the counts are exact.
/// </summary>
internal static class RescheduleRoundTrips
{
    public static async Task CountAsync(string connectionString, int withinCalendar, int toAnotherClinic, int withoutBars)
    {
        using var meters = new MeterScope();
        await using var nodes = new StoreNodes(connectionString, o =>
        {
            o.MeterFactory = meters;
            o.VersionCheckInterval = null; // no background round trips between the counts
            o.Engine.Quotas = QuotaPolicy.Mhrs;
            o.Engine.MaxActiveAppointments = 3;
            o.Engine.Bars = BarPolicy.Mhrs;
        });
        var node = await nodes.AddAsync();
        var calendar = new CalendarKey(ContractWorld.Doctor, ContractWorld.Day);
        var other = new CalendarKey(ContractWorld.OtherClinic, ContractWorld.Day);
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await node.PublishAsync(ContractWorld.OtherClinic, ContractWorld.Day, ContractWorld.Standard);
        var patient = ContractWorld.Patient(1);
        var booked = await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(1), patient));
        Assert.True(booked.Succeeded, booked.ToString());

        var count = ClaimRoundTrips.Counter(meters);
        var within = await node.RescheduleAsync(booked.Reservation, ClaimRequest.Book(calendar, SlotRange.Single(5), patient));
        Assert.True(within.Succeeded, within.ToString());
        Assert.Equal(withinCalendar, count());

        // Another clinic of the same facility: the facility's entry is re-pointed, the clinic's taken fresh.
        var moved = await node.RescheduleAsync(within.Reservation, ClaimRequest.Book(other, SlotRange.Single(5), patient));
        Assert.True(moved.Succeeded, moved.ToString());
        Assert.Equal(toAnotherClinic, count());

        // The moves counted the appointment once: its clinic refuses a second claim that day, the first clinic takes one.
        Assert.Equal(ClaimStatus.QuotaExceeded, (await node.ClaimAsync(ClaimRequest.Book(other, SlotRange.Single(7), patient))).Status);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(7), patient))).Succeeded);

        // Without bars and within the calendar every entry is re-pointed: no admission step.
        await using var plainNodes = new StoreNodes(connectionString, o =>
        {
            o.MeterFactory = meters;
            o.VersionCheckInterval = null;
            o.Engine.Quotas = QuotaPolicy.Mhrs;
            o.Engine.MaxActiveAppointments = 3;
        });
        var plain = await plainNodes.AddAsync();
        await plain.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard); // its own key prefix
        var patient2 = ContractWorld.Patient(2);
        var booked2 = await plain.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(2), patient2));
        Assert.True(booked2.Succeeded, booked2.ToString());
        count();
        var plainMove = await plain.RescheduleAsync(booked2.Reservation, ClaimRequest.Book(calendar, SlotRange.Single(6), patient2));
        Assert.True(plainMove.Succeeded, plainMove.ToString());
        Assert.Equal(withoutBars, count());
    }
}

/// <summary><see cref="RescheduleRoundTrips"/> on one standalone server.</summary>
public sealed class RescheduleRoundTripTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    [Fact]
    public Task A_move_with_quotas_cap_and_bars_is_six_round_trips_on_a_standalone_server() =>
        RescheduleRoundTrips.CountAsync(fixture.Server.Endpoint, withinCalendar: 6, toAnotherClinic: 6, withoutBars: 5);
}

/// <summary><see cref="RescheduleRoundTrips"/> on the three-primary cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RescheduleRoundTripClusterTests(ClusterFixture fixture)
{
    [Fact]
    public Task A_move_with_quotas_cap_and_bars_is_six_round_trips_in_a_cluster() =>
        RescheduleRoundTrips.CountAsync(fixture.Cluster.ConnectionString, withinCalendar: 6, toAnotherClinic: 6, withoutBars: 5);
}
