using SlotEngine.Redis.Tests.Contract;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>Replicas, WAIT and failovers with real servers: a stalled replication link, a primary promoted by hand, Sentinel.</summary>
public sealed class FailoverTests
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task A_keyed_retry_of_a_booking_waits_for_replicas_like_the_first_attempt_and_survives_a_failover()
    {
        await using var pair = await RedisReplicaPair.StartAsync(proxiedLink: true);
        await using var nodes = new StoreNodes(pair.Primary.Endpoint, o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromMilliseconds(300); });
        var writer = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);

        pair.Link!.Stall(); // the replica stays connected, but nothing reaches it any more
        var request = ClaimRequest.Book(Calendar, SlotRange.Single(7), ContractWorld.Patient(1), "failover-retry");
        var first = await Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await writer.ClaimAsync(request));
        Assert.Equal(0, first.Acknowledged);

        // The retry finds the first attempt's record: it must not answer Succeeded before a replica has it.
        var retry = await Assert.ThrowsAsync<ReplicationTimeoutException>(async () => await writer.ClaimAsync(request));
        Assert.Equal(0, retry.Acknowledged);
        Assert.Equal(first.Reservation, retry.Reservation);

        pair.Link.Resume();
        ClaimResult acknowledged = default;
        await Eventually.TrueAsync(
            async () => (acknowledged = await writer.ClaimAsync(request)).Succeeded,
            "a retry to succeed once the replication link heals");
        Assert.Equal(first.Reservation, acknowledged.Reservation);

        pair.Primary.Kill();
        await pair.PromoteReplicaAsync();
        await using var after = new StoreNodes(pair.Replica.Endpoint);
        var reader = await after.AddAsync(o => o.KeyPrefix = nodes.Prefix);
        await reader.WatchAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day);
        var seat = (await reader.GetCalendarAsync(Calendar))[7];
        Assert.Equal(SlotStatus.Booked, seat.Status);
    }

    [Fact]
    public async Task The_store_follows_a_standalone_primary_promoted_by_hand()
    {
        await using var pair = await RedisReplicaPair.StartAsync();
        var endpoints = pair.Primary.Endpoint + "," + pair.Replica.Endpoint + ",connectTimeout=2000,syncTimeout=2000,abortConnect=false";
        await using var nodes = new StoreNodes(endpoints, o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromSeconds(5); });
        var writer = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var ledger = new ClaimLedger();
        for (var n = 0; n < 10; n++)
        {
            ledger.Booked((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(n), ContractWorld.Patient(n)))).Reservation);
        }

        pair.Primary.Kill();
        await pair.PromoteReplicaAsync();

        // The same engine, without a restart, writes to the promoted server (no replica now: holds, which do not WAIT).
        ClaimResult hold = default;
        await Eventually.TrueAsync(
            async () => (hold = await writer.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(20), ContractWorld.Patient(20), TimeSpan.FromMinutes(5)))).Succeeded,
            "the store to write to the promoted primary");
        Assert.Contains("0:20", await pair.Replica.CliAsync("HKEYS", nodes.Prefix + "{p:" + ContractWorld.Doctor.Value + ":" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:m"), StringComparison.Ordinal); // the claims are fields of meta
        await using var after = new StoreNodes(pair.Replica.Endpoint);
        var reader = await after.AddAsync(o => o.KeyPrefix = nodes.Prefix);
        await ledger.VerifyAsync(reader, [Calendar], k => reader.WatchAsync(k.Provider, k.Day, k.Day));
    }

    [Fact]
    public async Task Through_Sentinel_the_store_follows_a_failover_and_loses_no_acknowledged_booking()
    {
        await using var group = await RedisSentinelGroup.StartAsync();
        await using var nodes = new StoreNodes(group.ConnectionString + ",connectTimeout=2000,syncTimeout=3000", o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromSeconds(5); });
        var writer = await nodes.AddAsync();
        await writer.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var ledger = new ClaimLedger();
        for (var n = 0; n < 20; n++)
        {
            ledger.Booked((await writer.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(n), ContractWorld.Patient(n)))).Reservation);
        }

        group.Primary.Kill();
        await Eventually.TrueAsync(async () => await group.PrimaryPortAsync() == group.Replica.Port, "the sentinels to promote the replica", TimeSpan.FromSeconds(60));

        // The same engine follows the promotion (the client asks the sentinels). The new primary has no replica
        // (the old one stays dead, so it cannot come back empty as a primary), so the proof is a hold, which does not WAIT.
        ClaimResult hold = default;
        await Eventually.TrueAsync(
            async () => (hold = await writer.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(30), ContractWorld.Patient(30), TimeSpan.FromMinutes(5), "after-failover"))).Succeeded,
            "the store to write to the new primary",
            TimeSpan.FromSeconds(60));
        Assert.Equal("1", (await group.Replica.CliAsync("EXISTS", nodes.Prefix + "{p:" + ContractWorld.Doctor.Value + ":" + ContractWorld.Day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "}:m")).Trim());
        Assert.Equal(SlotStatus.Held, (await writer.GetCalendarAsync(Calendar))[30].Status);

        var reader = await nodes.AddAsync(connectionString: group.Replica.Endpoint);
        await ledger.VerifyAsync(reader, [Calendar], k => reader.WatchAsync(k.Provider, k.Day, k.Day));
    }
}
