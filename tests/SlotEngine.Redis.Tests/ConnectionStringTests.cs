namespace SlotEngine.Redis.Tests;

public sealed class ConnectionStringTests
{
    [Fact]
    public void Full_string_is_parsed()
    {
        var options = RedisConnectionOptions.Parse("redis-a:7000, redis-b:7001 ,user=booking,password=p=w,ssl=true,sslHost=redis.example,connectTimeout=2500,syncTimeout=800");
        Assert.Equal(["redis-a:7000", "redis-b:7001"], options.Endpoints.Select(e => $"{e.Host}:{e.Port}"));
        Assert.Equal("booking", options.User);
        Assert.Equal("p=w", options.Password);
        Assert.True(options.Ssl);
        Assert.Equal("redis.example", options.SslHost);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(800), options.CommandTimeout);
    }

    [Theory]
    [InlineData("localhost", "localhost", 6379)]
    [InlineData("[::1]:6380", "::1", 6380)]
    [InlineData("[::1]", "::1", 6379)]
    [InlineData("10.0.0.5:1", "10.0.0.5", 1)]
    [InlineData("  cache  ", "cache", 6379)]
    public void Endpoint_forms_are_accepted(string text, string host, int port)
    {
        var endpoint = Assert.Single(RedisConnectionOptions.Parse(text).Endpoints);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
    }

    [Fact]
    public void Defaults_are_as_documented()
    {
        var options = RedisConnectionOptions.Parse("h");
        Assert.Null(options.User);
        Assert.Null(options.Password);
        Assert.False(options.Ssl);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.CommandTimeout);
        Assert.Equal(5, options.MaxRedirects);
    }

    [Theory]
    [InlineData("host:notaport", "notaport")]
    [InlineData("host:70000", "70000")]
    [InlineData("host:0", "'0'")]
    [InlineData("::1:6379", "brackets")]
    [InlineData("[::1", "[::1")]
    [InlineData("[nothost]:1", "nothost")]
    [InlineData("[::1]x", "x")]
    [InlineData("host,ssl=maybe", "ssl=maybe")]
    [InlineData("host,connectTimeout=-5", "connectTimeout=-5")]
    [InlineData("host,syncTimeout=abc", "syncTimeout=abc")]
    [InlineData("host,colour=blue", "colour")]
    [InlineData("password=x", "no endpoint")]
    [InlineData(":6379", "no valid host")]
    [InlineData("host,user=alice", "Password")]
    public void Bad_strings_name_the_bad_part(string text, string named)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse(text));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Password_is_not_echoed_in_errors()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse("password=hunter2"));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_string_is_rejected(string text) => Assert.ThrowsAny<ArgumentException>(() => RedisConnectionOptions.Parse(text));
}
