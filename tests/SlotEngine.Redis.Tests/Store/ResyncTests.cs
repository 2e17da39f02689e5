using System.Globalization;
using SlotEngine.Redis.Tests.Contract;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>The periodic version check (issue 9.1) and WAIT on connections of its own (issue 9.7), with real servers.</summary>
public sealed class ResyncTests
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task The_version_check_reloads_a_calendar_whose_change_the_feed_never_carried()
    {
        await using var server = await RedisServer.StartAsync();
        await using var nodes = new StoreNodes(server.Endpoint, o => o.VersionCheckInterval = TimeSpan.FromMilliseconds(100));
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var loaded = node.Feed.LoadedVersion(Calendar);
        Assert.True(loaded > 0);

        // A change in Redis whose message never arrived (as if it was lost while a subscription was renewed): the script
        // counted it (count_changes in lib.lua), as every script does, but no message reached the node.
        var meta = nodes.Prefix + "{p:" + ContractWorld.Doctor.Value.ToString(CultureInfo.InvariantCulture) + ":" + ContractWorld.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "}:m";
        var changed = long.Parse((await server.CliAsync("HINCRBY", meta, "ver", "1")).Trim(), CultureInfo.InvariantCulture);
        await server.CliAsync("INCRBY", nodes.Prefix + "feed:changes", "1");
        await Eventually.TrueAsync(() => node.Feed.LoadedVersion(Calendar) == changed, "the version check to reload the calendar");
    }

    [Fact]
    public async Task A_booking_waiting_for_a_stalled_replica_does_not_hold_up_other_callers()
    {
        await using var pair = await RedisReplicaPair.StartAsync(proxiedLink: true);
        await using var nodes = new StoreNodes(pair.Primary.Endpoint, o => { o.WaitForReplicas = 1; o.WaitForReplicasTimeout = TimeSpan.FromSeconds(60); });
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);

        pair.Link!.Stall();
        var booking = node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(1), ContractWorld.Patient(1))).AsTask();
        await Eventually.TrueAsync(
            async () => (await pair.Primary.CliAsync("INFO", "clients")).Contains("blocked_clients:1", StringComparison.Ordinal),
            "the booking's WAIT to block on the primary");

        // While that WAIT blocks its connection, holds, reads and pings on the shared connection go through.
        for (var n = 0; n < 20; n++)
        {
            Assert.True((await node.ClaimAsync(ClaimRequest.Hold(Calendar, SlotRange.Single(10 + n), ContractWorld.Patient(10 + n), TimeSpan.FromMinutes(5)))).Succeeded);
        }

        await node.PingAsync();
        Assert.False(booking.IsCompleted, "the booking still waits for its replica");

        pair.Link.Resume();
        Assert.True((await booking).Succeeded);
    }
}
