using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Transport;
using SlotEngine.Redis.Transport.Cluster;

namespace SlotEngine.Redis.Tests;

/// <summary>Against a real three-primary cluster: routing, MOVED, ASK during a live slot migration, sharded pub/sub.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(ClusterFixture fixture)
{
    private RedisCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Keys_are_routed_to_their_slots_owner_without_redirects()
    {
        await using var redis = await RedisConnection.ConnectAsync(Cluster.Nodes[0].Endpoint);
        Assert.True(redis.IsCluster);
        Assert.Equal(3, redis.Topology!.Primaries.Count);

        var prefix = "route:" + Guid.NewGuid().ToString("N")[..6] + ":";
        var before = redis.RedirectsFollowed;
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => redis.ExecuteAsync(prefix + i, "SET", prefix + i, i).AsTask()));
        Assert.Equal(before, redis.RedirectsFollowed);

        for (var i = 0; i < 300; i += 37)
        {
            var owner = await Cluster.OwnerOfAsync(HashSlot.Of(prefix + i));
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), (await owner.CliAsync("GET", prefix + i)).Trim());
        }

        var perNode = await Task.WhenAll(Cluster.Nodes.Select(async n => (await n.CliAsync("--scan", "--pattern", prefix + "*")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length));
        Assert.Equal(300, perNode.Sum());
        Assert.All(perNode, count => Assert.True(count > 0));
    }

    [Fact]
    public async Task Eval_sha_routes_by_hash_tag_and_runs_on_every_primary()
    {
        await using var redis = await RedisConnection.ConnectAsync(Cluster.ConnectionString);
        var script = new RedisScript("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])");
        await redis.ExecuteOnAllPrimariesAsync("SCRIPT", ["FLUSH"]);
        var tag = "{cal:" + Guid.NewGuid().ToString("N")[..6] + "}";
        Assert.Equal(1, (await redis.EvalShaAsync(script, [tag + ":bits", tag + ":ver"], ["x"])).AsInt64());
        Assert.Equal(2, (await redis.EvalShaAsync(script, [tag + ":bits", tag + ":ver"], ["y"])).AsInt64());
        var loaded = await redis.ExecuteOnAllPrimariesAsync("SCRIPT", ["LOAD", script.Text]);
        Assert.Equal(3, loaded.Length);
        Assert.All(loaded, r => Assert.Equal(script.Sha1Hex, r.AsString()));
    }

    [Fact]
    public async Task Moved_and_ask_are_followed_while_a_slot_migrates_under_load()
    {
        await using var redis = await RedisConnection.ConnectAsync(Cluster.ConnectionString);
        var tag = "{mig" + Guid.NewGuid().ToString("N")[..6] + "}";
        var slot = HashSlot.Of(tag);
        var source = await Cluster.OwnerOfAsync(slot);
        var target = Cluster.Nodes.First(n => n != source);
        var keys = Enumerable.Range(0, 20).Select(i => $"{tag}:k{i}").ToArray();
        foreach (var key in keys)
        {
            await redis.ExecuteAsync(key, "SET", key, 0);
        }

        var before = redis.RedirectsFollowed;
        var increments = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested || i < 50; i++)
            {
                var key = keys[(worker + i) % keys.Length];
                await redis.ExecuteAsync(key, "INCR", key);
                increments.AddOrUpdate(key, 1, (_, n) => n + 1);
            }
        })).ToArray();

        // Migrate the slot key by key while the load runs: the keys already moved answer ASK from the source.
        await Cluster.BeginSlotMigrationAsync(slot, source, target);
        foreach (var key in keys)
        {
            await source.CliAsync("MIGRATE", "127.0.0.1", target.Port.ToString(CultureInfo.InvariantCulture), key, "0", "5000");
        }

        await Eventually.TrueAsync(() => redis.RedirectsFollowed > before, "at least one ASK redirect under load");
        await Cluster.FinishSlotMigrationAsync(slot, source, target);
        await Eventually.TrueAsync(() => redis.Topology!.Primaries[redis.Topology.PrimaryIndexOf(slot)].Port == target.Port
                || redis.RedirectsFollowed > before, "a MOVED to be followed");
        await stop.CancelAsync();
        await Task.WhenAll(load);

        // Every increment that succeeded is there exactly once: redirects never ran a command twice.
        foreach (var key in keys)
        {
            var expected = increments.GetValueOrDefault(key);
            Assert.Equal(expected, (await redis.ExecuteAsync(key, "GET", key)).AsInt64());
            Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), (await target.CliAsync("GET", key)).Trim());
        }

        await Eventually.TrueAsync(
            async () =>
            {
                await redis.ExecuteAsync(keys[0], "GET", keys[0]);
                return redis.Topology!.Primaries[redis.Topology.PrimaryIndexOf(slot)].Port == target.Port;
            },
            "the topology to be refreshed after MOVED");
    }

    [Fact]
    public async Task Stale_topology_is_corrected_by_moved()
    {
        await using var redis = await RedisConnection.ConnectAsync(Cluster.ConnectionString);
        var tag = "{mv" + Guid.NewGuid().ToString("N")[..6] + "}";
        var slot = HashSlot.Of(tag);
        var source = await Cluster.OwnerOfAsync(slot);
        var target = Cluster.Nodes.First(n => n != source);

        // An empty slot moves with no key to migrate; the client still believes the old owner. (SETSLOT NODE
        // alone, without IMPORTING first, can be undone by gossip: see FinishSlotMigrationAsync.)
        await Cluster.BeginSlotMigrationAsync(slot, source, target);
        await Cluster.FinishSlotMigrationAsync(slot, source, target);
        var before = redis.RedirectsFollowed;
        await redis.ExecuteAsync(tag, "SET", tag, "here");
        Assert.True(redis.RedirectsFollowed > before, "The stale route was followed by MOVED.");
        Assert.Equal("here", (await target.CliAsync("GET", tag)).Trim());
    }

    [Fact]
    public async Task Sharded_and_plain_pubsub_deliver_across_the_cluster()
    {
        await using var redis = await RedisConnection.ConnectAsync(Cluster.ConnectionString);
        var received = new ConcurrentQueue<string>();
        var shardChannel = "{feed" + Guid.NewGuid().ToString("N")[..6] + "}:changes";
        await redis.SSubscribeAsync(shardChannel, (c, m) => received.Enqueue("s:" + Encoding.UTF8.GetString(m.Span)));
        await redis.SubscribeAsync("global:" + shardChannel, (c, m) => received.Enqueue("p:" + Encoding.UTF8.GetString(m.Span)));

        Assert.Equal(1, (await redis.ExecuteAsync(shardChannel, "SPUBLISH", shardChannel, "v7")).AsInt64());
        // PUBLISH on a node other than the subscriber's: the cluster bus carries it.
        var other = Cluster.Nodes.First(n => n.Port != redis.Topology!.Primaries[redis.Topology.PrimaryIndexOf(HashSlot.Of("global:" + shardChannel))].Port);
        await other.CliAsync("PUBLISH", "global:" + shardChannel, "g1");
        await Eventually.TrueAsync(() => received.Contains("s:v7") && received.Contains("p:g1"), "the sharded and the plain message");
    }
}
