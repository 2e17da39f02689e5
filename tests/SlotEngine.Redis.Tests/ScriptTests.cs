using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

public sealed class ScriptTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static readonly RedisScript IncrementBy = new("return redis.call('INCRBY', KEYS[1], ARGV[1])");

    private readonly string _key = "script:" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task EvalSha_runs_loads_on_demand_and_survives_script_flush()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.ConnectionString);
        Assert.Equal(5, (await redis.EvalShaAsync(IncrementBy, [_key], [5])).AsInt64());
        Assert.Equal(1, (await redis.ExecuteAsync(null, "SCRIPT", "EXISTS", IncrementBy.Sha1Hex))[0].AsInt64());

        await redis.ExecuteOnAllPrimariesAsync("SCRIPT", ["FLUSH"]);
        Assert.Equal(0, (await redis.ExecuteAsync(null, "SCRIPT", "EXISTS", IncrementBy.Sha1Hex))[0].AsInt64());

        Assert.Equal(7, (await redis.EvalShaAsync(IncrementBy, [_key], [2])).AsInt64());
        Assert.Equal(1, (await redis.ExecuteAsync(null, "SCRIPT", "EXISTS", IncrementBy.Sha1Hex))[0].AsInt64());
    }

    [Fact]
    public async Task Script_load_caches_the_same_sha_as_computed_locally()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.ConnectionString);
        await redis.ScriptLoadAsync(IncrementBy);
        Assert.Equal(3, (await redis.EvalShaAsync(IncrementBy, [_key], [3])).AsInt64());
    }

    [Fact]
    public async Task Script_error_surfaces_as_server_exception()
    {
        await using var redis = await RedisConnection.ConnectAsync(fixture.Server.ConnectionString);
        var failing = new RedisScript("return redis.error_reply('SLOT_TAKEN by someone')");
        var error = await Assert.ThrowsAsync<RedisServerException>(async () => await redis.EvalShaAsync(failing, [_key], []));
        Assert.StartsWith("SLOT_TAKEN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalSha_survives_a_server_restart()
    {
        await using var server = await RedisServer.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
        await using var redis = await RedisConnection.ConnectAsync(options);
        await redis.EvalShaAsync(IncrementBy, [_key], [1]);
        await server.RestartAsync(); // the script cache is empty afterwards
        await Eventually.TrueAsync(
            async () => (await redis.EvalShaAsync(IncrementBy, [_key], [1])).AsInt64() == 1,
            "EVALSHA to work again after the restart");
    }
}
