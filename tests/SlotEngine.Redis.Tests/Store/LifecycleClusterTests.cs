using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The life-after-booking rules on a three-primary cluster: every script still names only keys of one slot
/// (the audit stream under the calendar's tag, the cap under the patient's, the call counter under the call's),
/// calendars on every shard replay from their streams, and the cap holds across shards.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LifecycleClusterTests(ClusterFixture fixture)
{
    private static readonly ProviderId[] Extra = Enumerable.Range(400, 9).Select(i => new ProviderId(i)).ToArray();

    [Fact]
    public async Task Audit_cap_and_call_limit_work_across_shards_and_replay_to_the_calendars()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString);
        var node = await nodes.AddAsync(o =>
        {
            o.Engine.Audit = true;
            o.Engine.MaxActiveAppointments = 2;
            o.Engine.Actors = ActorPolicy.Mhrs;
            o.Engine.Quotas = QuotaPolicy.None;
        });
        foreach (var provider in Extra)
        {
            node.Directory.AddProvider(provider, new ClinicId(20));
        }

        var calendars = Extra.Select(p => new CalendarKey(p, ContractWorld.Day)).ToArray();
        foreach (var calendar in calendars)
        {
            await node.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        }

        // Nine patients each try three calendars (on different shards) at once: the cap of 2 holds for every one.
        var results = await Task.WhenAll(Enumerable.Range(0, 27).Select(n => Task.Run(async () =>
            await node.ClaimAsync(ClaimRequest.Book(calendars[(n + (n / 9)) % 9], SlotRange.Single(n / 9), ContractWorld.Patient(n % 9))))));
        Assert.All(results.GroupBy(r => r.Succeeded ? r.Reservation.Patient : default).Where(g => g.Key != default), g => Assert.Equal(2, g.Count()));
        Assert.Equal(9, results.Count(r => r.Status == ClaimStatus.ActiveLimitReached));

        // A call-centre call books for relatives on several shards: four places.
        var call = Enumerable.Range(0, 6).Select(i => ClaimRequest.Book(calendars[i], SlotRange.Single(10), ContractWorld.Patient(100 + i)) with
        {
            Actor = Actor.CallCentreAgent,
            Channel = BookingChannel.CallCentre,
            CallId = "cluster-call",
        });
        var statuses = new List<ClaimStatus>();
        foreach (var request in call)
        {
            statuses.Add((await node.ClaimAsync(request)).Status);
        }

        Assert.Equal([.. Enumerable.Repeat(ClaimStatus.Succeeded, 4), ClaimStatus.CallLimitReached, ClaimStatus.CallLimitReached], statuses);
        await node.ReleaseAsync(results.First(r => r.Succeeded).Reservation);

        var replay = new AuditReplay();
        foreach (var calendar in calendars)
        {
            foreach (var record in await node.ReadAuditAsync(calendar, -1, 1000))
            {
                replay.Apply(record);
            }
        }

        Assert.Equal(18 + 4 + 1, replay.Applied);
        foreach (var calendar in calendars)
        {
            Assert.Empty(replay.Compare(await node.GetCalendarAsync(calendar), DateTimeOffset.UtcNow));
        }
    }

    [Fact]
    public async Task No_show_bars_hold_across_shards_and_outcomes_are_audited_on_their_calendars()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString);
        var node = await nodes.AddAsync(o =>
        {
            o.Engine.Audit = true;
            o.Engine.Bars = BarPolicy.Mhrs;
            o.Engine.Quotas = QuotaPolicy.None;
        });
        foreach (var provider in Extra)
        {
            node.Directory.AddProvider(provider, new ClinicId(20));
        }

        var calendars = Extra.Select(p => new CalendarKey(p, ContractWorld.Day)).ToArray();
        foreach (var calendar in calendars)
        {
            await node.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        }

        // Nine patients miss a booking each, on calendars of every shard; then each is refused on another calendar of the branch.
        for (var n = 0; n < 9; n++)
        {
            var booking = (await node.ClaimAsync(ClaimRequest.Book(calendars[n], SlotRange.Single(0), ContractWorld.Patient(n)))).Reservation;
            Assert.True((await node.RecordOutcomeAsync(booking, AppointmentOutcome.NoShow)).Succeeded);
        }

        var retries = await Task.WhenAll(Enumerable.Range(0, 9).Select(n => Task.Run(async () =>
            await node.ClaimAsync(ClaimRequest.Book(calendars[(n + 4) % 9], SlotRange.Single(1 + n), ContractWorld.Patient(n))))));
        Assert.All(retries, r => Assert.Equal(ClaimStatus.Barred, r.Status));

        Assert.True((await node.ClaimAsync(ClaimRequest.Book(calendars[1], SlotRange.Single(20), ContractWorld.Patient(0)) with { PatientAttributes = PatientAttributes.Cancer })).Succeeded);
        Assert.True(await node.LiftBarAsync(ContractWorld.Patient(1), new BranchId(1)));
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(calendars[2], SlotRange.Single(20), ContractWorld.Patient(1)))).Succeeded);

        for (var n = 0; n < 9; n++)
        {
            var records = await node.ReadAuditAsync(calendars[n], -1, 100);
            var outcome = Assert.Single(records, r => r.Action == AuditAction.Outcome);
            Assert.Equal((AppointmentOutcome.NoShow, ContractWorld.Patient(n)), (outcome.Outcome, outcome.Patient));
        }
    }
}
