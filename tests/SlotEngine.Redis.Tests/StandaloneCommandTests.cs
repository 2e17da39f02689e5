using System.Text;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

/// <summary>Commands against one real standalone server: replies of every kind, errors, and pipelining under concurrency.</summary>
public sealed class StandaloneCommandTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private readonly string _prefix = "t:" + Guid.NewGuid().ToString("N")[..8] + ":";

    private Task<RedisConnection> ConnectAsync() =>
        RedisConnection.ConnectAsync(RedisConnectionOptions.Parse(fixture.Server.ConnectionString)).AsTask();

    [Fact]
    public async Task Basic_commands_return_each_reply_kind()
    {
        await using var redis = await ConnectAsync();
        Assert.False(redis.IsCluster);
        var key = _prefix + "basic";

        Assert.True((await redis.ExecuteAsync(key, "SET", key, "hello")).IsOk);
        Assert.Equal("hello", (await redis.ExecuteAsync(key, "GET", key)).AsString());
        Assert.True((await redis.ExecuteAsync(key, "GET", _prefix + "missing")).IsNull);
        Assert.Equal(1, (await redis.ExecuteAsync(key, "DEL", key)).AsInt64());
        Assert.Equal(42, (await redis.ExecuteAsync(key, "INCRBY", key, 42L)).AsInt64());
        Assert.Equal("PONG", (await redis.ExecuteAsync(null, "PING")).AsString());

        await redis.ExecuteAsync(null, "RPUSH", _prefix + "list", "a", "b", "c");
        var range = await redis.ExecuteAsync(null, "LRANGE", _prefix + "list", 0, -1);
        Assert.Equal(RespKind.Array, range.Kind);
        Assert.Equal(["a", "b", "c"], range.Elements.ToArray().Select(e => e.AsString()));
    }

    [Fact]
    public async Task Binary_and_large_values_round_trip()
    {
        await using var redis = await ConnectAsync();
        var binary = new byte[256];
        for (var i = 0; i < binary.Length; i++)
        {
            binary[i] = (byte)i; // includes \r and \n
        }

        await redis.ExecuteAsync(null, "SET", _prefix + "bin", binary);
        Assert.Equal(binary, (await redis.ExecuteAsync(null, "GET", _prefix + "bin")).Bytes.ToArray());

        var large = new byte[3 * 1024 * 1024 + 7]; // spans many pipe segments both ways
        new Random(7).NextBytes(large);
        await redis.ExecuteAsync(null, "SET", _prefix + "large", large);
        Assert.Equal(large, (await redis.ExecuteAsync(null, "GET", _prefix + "large")).Bytes.ToArray());
    }

    [Fact]
    public async Task Error_reply_throws_server_exception_and_connection_stays_usable()
    {
        await using var redis = await ConnectAsync();
        var key = _prefix + "wrongtype";
        await redis.ExecuteAsync(key, "SET", key, "text");
        var error = await Assert.ThrowsAsync<RedisServerException>(async () => await redis.ExecuteAsync(key, "LPUSH", key, "x"));
        Assert.StartsWith("WRONGTYPE", error.Message, StringComparison.Ordinal);
        Assert.Equal("text", (await redis.ExecuteAsync(key, "GET", key)).AsString());
    }

    [Fact]
    public async Task Concurrent_callers_are_pipelined_and_every_increment_counts()
    {
        await using var redis = await ConnectAsync();
        var key = _prefix + "counter";
        const int callers = 64;
        const int perCaller = 200;
        var results = await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            var seen = new List<long>(perCaller);
            for (var i = 0; i < perCaller; i++)
            {
                seen.Add((await redis.ExecuteAsync(key, "INCR", key)).AsInt64());
            }

            return seen;
        })));

        Assert.Equal(callers * perCaller, (await redis.ExecuteAsync(key, "GET", key)).AsInt64());

        // Each INCR got its own reply: together the replies are exactly 1..N, so none was matched to another caller.
        var all = results.SelectMany(r => r).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, callers * perCaller).Select(i => (long)i), all);
    }

    [Fact]
    public async Task Many_commands_issued_without_awaiting_complete_in_order()
    {
        await using var redis = await ConnectAsync();
        var key = _prefix + "order";
        var pending = new List<ValueTask<RedisReply>>();
        for (var i = 0; i < 2000; i++)
        {
            pending.Add(redis.ExecuteAsync(key, "RPUSH", key, i));
        }

        for (var i = 0; i < pending.Count; i++)
        {
            Assert.Equal(i + 1, (await pending[i]).AsInt64());
        }
    }

    [Fact]
    public async Task Command_without_reply_in_time_fails_with_timeout_and_later_commands_still_match()
    {
        var options = RedisConnectionOptions.Parse(fixture.Server.ConnectionString);
        options.CommandTimeout = TimeSpan.FromMilliseconds(100);
        await using var redis = await RedisConnection.ConnectAsync(options);

        // BLPOP holds the (multiplexed) connection's reply stream for 0.4 s: past the 100 ms timeout.
        var blocked = redis.ExecuteAsync(null, "BLPOP", _prefix + "never", "0.4");
        var error = await Assert.ThrowsAsync<RedisTimeoutException>(async () => await blocked);
        Assert.Contains("BLPOP", error.Message, StringComparison.Ordinal);

        // Its late reply must be consumed and dropped, not handed to the next command.
        await Eventually.TrueAsync(
            async () => (await redis.ExecuteAsync(null, "ECHO", "after")).AsString() == "after",
            "ECHO to be answered with its own reply after the BLPOP timed out");
        Assert.Equal("x", (await redis.ExecuteAsync(null, "ECHO", "x")).AsString());
    }

    [Fact]
    public async Task Cancellation_fails_the_wait_not_the_connection()
    {
        await using var redis = await ConnectAsync();
        using var cts = new CancellationTokenSource();
        var blocked = redis.ExecuteAsync(null, "BLPOP", [_prefix + "never2", "0.3"], cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await blocked);
        Assert.Equal("y", (await redis.ExecuteAsync(null, "ECHO", "y")).AsString());
    }

    [Fact]
    public async Task Connection_string_with_bare_host_and_default_port_is_refused_cleanly_when_nothing_listens()
    {
        // Port 1 on loopback: nothing listens, the connect fails at once with a message naming the endpoint.
        var error = await Assert.ThrowsAsync<RedisConnectionException>(async () => await RedisConnection.ConnectAsync("127.0.0.1:1,connectTimeout=2000"));
        Assert.Contains("127.0.0.1:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_on_every_primary_reaches_the_single_server()
    {
        await using var redis = await ConnectAsync();
        var replies = await redis.ExecuteOnAllPrimariesAsync("PING", []);
        Assert.Single(replies);
        Assert.Equal("PONG", replies[0].AsString());
        Assert.Equal(Encoding.ASCII.GetBytes("PONG"), replies[0].Bytes.ToArray());
    }
}
