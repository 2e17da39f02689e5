using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests;

/// <summary>The store authenticates as StackExchange.Redis does: a default-user password, or an ACL user and password.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private RedisServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await RedisServer.StartAsync(new RedisServerOptions { Password = "s3cret", AclUser = ("booking", "b00king") });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(",password=s3cret")]
    [InlineData(",user=booking,password=b00king")]
    public async Task The_store_authenticates_and_books(string credentials)
    {
        await using var nodes = new Store.StoreNodes(_server.Endpoint + credentials);
        var node = await nodes.AddAsync();
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var booked = await node.ClaimAsync(ClaimRequest.Book(new CalendarKey(ContractWorld.Doctor, ContractWorld.Day), SlotRange.Single(3), ContractWorld.Patient(1)));
        Assert.True(booked.Succeeded, booked.ToString());
    }

    [Fact]
    public async Task A_wrong_password_fails_the_connect_without_echoing_the_password()
    {
        await using var nodes = new Store.StoreNodes(_server.Endpoint + ",user=booking,password=wr0ng-pass,connectTimeout=2000");
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => nodes.AddAsync());
        Assert.DoesNotContain("wr0ng-pass", error.ToString(), StringComparison.Ordinal);
    }
}
