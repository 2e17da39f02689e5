using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using Xunit.Abstractions;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>What the store promises about durability, and what it checks at start-up.</summary>
public sealed class DurabilityTests(StandaloneServerFixture fixture, ITestOutputHelper output) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task Start_up_warns_or_refuses_when_Redis_has_no_persistence()
    {
        var warned = new List<string>();
        await using (var nodes = new StoreNodes(fixture.Server.Endpoint))
        {
            var node = await nodes.AddAsync(o => { o.PersistenceCheck = PersistenceCheckMode.Warn; o.Warning = warned.Add; });
            Assert.Contains(node.PersistenceWarnings, w => w.Contains("no persistence", StringComparison.Ordinal));
            Assert.Equal(node.PersistenceWarnings, warned);
        }

        await using var refusing = new StoreNodes(fixture.Server.Endpoint);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => refusing.AddAsync(o => o.PersistenceCheck = PersistenceCheckMode.Refuse));
        Assert.Contains("appendonly", refused.Message, StringComparison.Ordinal);

        await using var durable = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });
        await using var fine = new StoreNodes(durable.Endpoint);
        Assert.Empty((await fine.AddAsync(o => o.PersistenceCheck = PersistenceCheckMode.Refuse)).PersistenceWarnings);
    }

    [Fact]
    public async Task Bookings_acknowledged_by_a_replica_survive_its_promotion()
    {
        await using var pair = await RedisReplicaPair.StartAsync();
        await using var nodes = new StoreNodes(pair.Primary.Endpoint, o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromSeconds(5); });
        var writer = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await writer.PublishAsync(ContractWorld.OtherFacility, ContractWorld.Day, ContractWorld.Standard);

        var ledger = new ClaimLedger();
        for (var n = 0; n < 40; n++)
        {
            var calendar = new CalendarKey(n % 2 == 0 ? ContractWorld.Doctor : ContractWorld.OtherFacility, ContractWorld.Day);
            var hold = await writer.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(n / 2), ContractWorld.Patient(n), TimeSpan.FromMinutes(5)));
            var booked = await writer.ConfirmAsync(hold.Reservation); // returns once the replica has it (WAIT 1)
            Assert.True(booked.Succeeded, booked.ToString());
            ledger.Booked(booked.Reservation);
        }

        pair.Primary.Kill(); // the primary dies at once: whatever it had not shipped is gone
        await pair.PromoteReplicaAsync();
        await using var afterFailover = new StoreNodes(pair.Replica.Endpoint);
        var reader = await afterFailover.AddAsync(o => o.KeyPrefix = nodes.Prefix);
        await ledger.VerifyAsync(
            reader,
            [Calendar, new CalendarKey(ContractWorld.OtherFacility, ContractWorld.Day)],
            k => reader.WatchAsync(k.Provider, k.Day, k.Day));
    }

    [Fact]
    public async Task A_booking_not_acknowledged_by_enough_replicas_says_so()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromMilliseconds(50); });
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var hold = (await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(1), ContractWorld.Patient(1), TimeSpan.FromMinutes(5)))).Reservation;
        var timeout = await Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await node.ConfirmAsync(hold));
        Assert.Equal(0, timeout.Acknowledged);
        Assert.Equal(hold with { HoldExpiresAt = null }, timeout.Reservation);

        // The booking did take effect on the primary; confirming again succeeds again (and waits again).
        Assert.Equal(SlotStatus.Booked, (await node.GetCalendarAsync(Calendar))[1].Status);
        await Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await node.ConfirmAsync(hold));
    }

    [Fact]
    public async Task A_day_lost_in_a_failover_is_rebuilt_from_the_system_of_record()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint);
        var writer = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        await writer.PublishAsync(ContractWorld.SameClinic, ContractWorld.Day, ContractWorld.Standard);
        var ledger = new ClaimLedger();
        var recorded = new List<Reservation>();
        for (var n = 1; n <= 6; n++)
        {
            var booked = (await writer.ClaimAsync(ClaimRequest.Book(Calendar, new SlotRange(n * 2, 2), ContractWorld.Patient(n)))).Reservation;
            recorded.Add(booked);
            ledger.Booked(booked);
        }

        // One more booking reached Redis but not the system of record; then everything under the prefix is lost.
        var unrecorded = (await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(30), ContractWorld.Patient(7)))).Reservation;
        var keys = (await fixture.Server.CliAsync("--scan", "--pattern", nodes.Prefix + "*")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(keys);
        await fixture.Server.CliAsync(["DEL", .. keys]);

        var lastToken = await writer.RebuildCalendarAsync(Calendar, ContractWorld.Standard, recorded, tokenFloor: unrecorded.Token);
        Assert.True(lastToken > unrecorded.Token + 1_000_000, "new tokens continue far above any token issued before the loss");
        var reader = await nodes.AddAsync();
        await ledger.VerifyAsync(reader, [Calendar], k => reader.WatchAsync(k.Provider, k.Day, k.Day));
        Assert.Equal(48 - 12, (await reader.GetCalendarAsync(Calendar)).FreeSeatCount);

        // Rebuilt reservations still work; the unrecorded one is stale; a new claim's token cannot collide.
        Assert.Equal(ClaimStatus.Stale, (await writer.ReleaseAsync(unrecorded)).Status);
        var fresh = (await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(30), ContractWorld.Patient(8)))).Reservation;
        Assert.True(fresh.Token > lastToken);
        Assert.True((await reader.CancelAsync(recorded[0], CancelActor.Administrator)).Succeeded);

        // The rebuilt bookings count against their patients' quotas again (clinic 10: one per day). Asked on the
        // rebuilt day (the clinic's other day was lost with everything else: a claim there answers "not published").
        Assert.Equal(
            ClaimStatus.QuotaExceeded,
            (await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(31), ContractWorld.Patient(2)))).Status);
    }

    [Fact]
    public async Task An_unwaited_failover_loses_acknowledged_bookings_and_the_test_says_how_many()
    {
        // The replica replicates through a proxy that the test can blackhole: a replication link that lags.
        await using var primary = await RedisServer.StartAsync();
        await using var link = new TcpFaultProxy(primary.Port);
        await using var replica = await RedisServer.StartAsync(new RedisServerOptions { ReplicaOf = link.Port });
        await Eventually.TrueAsync(async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal), "the replica to sync");
        await using var nodes = new StoreNodes(primary.Endpoint, o => o.Engine.Quotas = QuotaPolicy.None);
        var writer = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var claimsKey = nodes.Prefix + "{p:100:" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:m"; // the claims are fields of meta

        var replicated = new List<Reservation>();
        for (var slot = 0; slot < 10; slot++)
        {
            replicated.Add((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(slot), ContractWorld.Patient(slot)))).Reservation);
        }

        await Eventually.TrueAsync(async () => (await replica.CliAsync("HEXISTS", claimsKey, "0:9")).Trim() == "1", "the first ten bookings to reach the replica");
        link.Blackhole = true;
        var unreplicated = new List<Reservation>();
        for (var slot = 10; slot < 30; slot++)
        {
            unreplicated.Add((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(slot), ContractWorld.Patient(slot)))).Reservation);
        }

        primary.Kill();
        await replica.CliAsync("REPLICAOF", "NO", "ONE");
        await using var afterFailover = new StoreNodes(replica.Endpoint);
        var reader = await afterFailover.AddAsync(o => o.KeyPrefix = nodes.Prefix);
        await reader.WatchAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day);
        var snapshot = await reader.GetCalendarAsync(Calendar);
        var survived = replicated.Concat(unreplicated).Count(b => snapshot[b.Slots.First].Status == SlotStatus.Booked && snapshot[b.Slots.First].Token == b.Token);
        var lost = unreplicated.Count(b => snapshot[b.Slots.First].Status != SlotStatus.Booked);
        output.WriteLine($"un-WAITed failover: {lost} of {replicated.Count + unreplicated.Count} acknowledged bookings lost (the {unreplicated.Count} made while replication lagged); WaitForReplicas would have refused to acknowledge them");

        Assert.Equal(10, survived);
        Assert.Equal(20, lost);
        Assert.All(replicated, b => Assert.Equal(new SeatView(SlotStatus.Booked, b.Patient, b.Token, null), snapshot[b.Slots.First]));

        // After the loss, the day is rebuilt from the system of record, which has all thirty.
        await reader.RebuildCalendarAsync(Calendar, ContractWorld.Standard, replicated.Concat(unreplicated), tokenFloor: unreplicated[^1].Token);
        var ledger = new ClaimLedger();
        replicated.Concat(unreplicated).ToList().ForEach(ledger.Booked);
        await ledger.VerifyAsync(reader, [Calendar]);
    }
}
