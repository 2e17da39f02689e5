using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

public sealed class AuthTests : IAsyncLifetime
{
    private RedisServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await RedisServer.StartAsync(new RedisServerOptions { Password = "s3cret", AclUser = ("booking", "b00king") });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Default_user_password_authenticates()
    {
        await using var redis = await RedisConnection.ConnectAsync(_server.ConnectionString);
        Assert.Equal("PONG", (await redis.ExecuteAsync(null, "PING")).AsString());
    }

    [Fact]
    public async Task Acl_user_and_password_authenticate()
    {
        await using var redis = await RedisConnection.ConnectAsync($"{_server.Endpoint},user=booking,password=b00king");
        Assert.Equal("booking", (await redis.ExecuteAsync(null, "ACL", "WHOAMI")).AsString());
    }

    [Fact]
    public async Task Wrong_password_fails_connect_with_the_servers_reason()
    {
        var error = await Assert.ThrowsAsync<RedisConnectionException>(async () =>
            await RedisConnection.ConnectAsync($"{_server.Endpoint},user=booking,password=wrong"));
        Assert.Contains("WRONGPASS", error.Message, StringComparison.Ordinal);
        Assert.Contains("AUTH", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", error.Message.Replace("WRONGPASS", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_password_is_reported_as_noauth_on_first_command()
    {
        var error = await Assert.ThrowsAnyAsync<RedisException>(async () =>
        {
            await using var redis = await RedisConnection.ConnectAsync(_server.Endpoint);
            await redis.ExecuteAsync(null, "PING");
        });
        Assert.Contains("NOAUTH", error.Message, StringComparison.Ordinal);
    }
}
