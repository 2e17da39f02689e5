using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

/// <summary>Connections cut mid-load, servers killed and restarted: in-flight commands fail cleanly, later ones succeed.</summary>
public sealed class FaultTests
{
    [Fact]
    public async Task Cut_mid_load_fails_in_flight_commands_cleanly_and_reconnects()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new TcpFaultProxy(server.Port);
        // A timeout would end a load task (only connection errors are expected), so it is far above any stall of a loaded machine.
        await using var redis = await RedisConnection.ConnectAsync($"{proxy.Endpoint},syncTimeout=30000");
        const string key = "cut:counter";

        long succeeded = 0;
        long failed = 0;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            // Runs until stopped (bounded by a generous iteration cap), so the load goes on across the cut.
            for (var i = 0; i < 1_000_000 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await redis.ExecuteAsync(key, "INCR", key);
                    Interlocked.Increment(ref succeeded);
                }
                catch (RedisConnectionException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToArray();

        await Eventually.TrueAsync(() => LoadRuns(load) && Interlocked.Read(ref succeeded) > 500, "some load to succeed before the cut");

        // A cut at an arbitrary moment may find no command awaiting a reply (on a loaded machine the load tasks
        // often sit in the thread pool's queue), and commands sent after the cut wait for the new connection by
        // design. Freezing the connection first makes sure some are in flight: sent, and never answered.
        proxy.Freeze();
        await Eventually.TrueAsync(() => LoadRuns(load) && proxy.HeldBytes > 0, "commands to be in flight on the frozen connection");
        proxy.CutAll();
        await Eventually.TrueAsync(() => LoadRuns(load) && Interlocked.Read(ref failed) > 0, "in-flight commands to fail after the cut");
        var afterCut = Interlocked.Read(ref succeeded);
        await Eventually.TrueAsync(() => LoadRuns(load) && Interlocked.Read(ref succeeded) > afterCut + 500, "the load to succeed again after reconnecting");
        await stop.CancelAsync();
        await Task.WhenAll(load); // any exception other than RedisConnectionException fails the test here

        Assert.Equal(1, proxy.Cuts);

        // Never silently retried: the server saw every success, and at most every failure on top.
        var total = (await redis.ExecuteAsync(key, "GET", key)).AsInt64();
        Assert.InRange(total, succeeded, succeeded + failed);
        Assert.Equal("after", (await redis.ExecuteAsync(null, "ECHO", "after")).AsString());
    }

    /// <summary>True unless a load task died of an unexpected error, which is then thrown here at once (not after the wait's bound).</summary>
    private static bool LoadRuns(Task[] load)
    {
        if (load.FirstOrDefault(t => t.IsFaulted) is { } dead)
        {
            // An AggregateException, which Eventually does not take for a transient error: the wait ends here.
            throw new AggregateException("A load task died of an unexpected error.", dead.Exception!.InnerExceptions);
        }

        return true;
    }

    [Fact]
    public async Task Killed_server_fails_commands_and_restarted_server_is_reconnected()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromSeconds(2);
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await redis.ExecuteAsync("k", "SET", "k", "durable");

        server.Kill();
        await Assert.ThrowsAnyAsync<RedisException>(async () => await redis.ExecuteAsync("k", "GET", "k"));

        await server.RestartAsync();
        await Eventually.TrueAsync(
            async () => (await redis.ExecuteAsync("k", "GET", "k")).AsString() == "durable",
            "the connection to come back and read the AOF-restored value");
    }

    [Fact]
    public async Task Replies_that_never_come_time_out_and_the_link_recovers_after_a_cut()
    {
        await using var server = await RedisServer.StartAsync();
        await using var proxy = new TcpFaultProxy(server.Port);
        var options = RedisConnectionOptions.Parse(proxy.Endpoint);
        options.CommandTimeout = TimeSpan.FromMilliseconds(150);
        await using var redis = await RedisConnection.ConnectAsync(options);

        proxy.Blackhole = true;
        await Assert.ThrowsAsync<RedisTimeoutException>(async () => await redis.ExecuteAsync(null, "PING"));
        proxy.Blackhole = false;
        proxy.CutAll(); // the stream is out of step now; a new connection puts it right
        await Eventually.TrueAsync(
            async () => (await redis.ExecuteAsync(null, "ECHO", "z")).AsString() == "z",
            "a fresh connection after the cut");
    }

    [Fact]
    public async Task Primary_is_chosen_among_seeds_and_replica_promotion_works()
    {
        await using var pair = await RedisReplicaPair.StartAsync();
        await using (var redis = await RedisConnection.ConnectAsync($"{pair.Replica.Endpoint},{pair.Primary.Endpoint}"))
        {
            await redis.ExecuteAsync("r", "SET", "r", "1");
            Assert.Equal(1, (await redis.ExecuteAsync(null, "WAIT", 1, 5000)).AsInt64());
        }

        await pair.PromoteReplicaAsync();
        await using var promoted = await RedisConnection.ConnectAsync(pair.Replica.Endpoint);
        Assert.Equal("1", (await promoted.ExecuteAsync("r", "GET", "r")).AsString());
        await promoted.ExecuteAsync("r", "SET", "r", "2");
    }
}
