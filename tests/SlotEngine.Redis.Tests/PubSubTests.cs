using System.Collections.Concurrent;
using System.Net;
using System.Text;
using SlotEngine.Redis.Tests.Fixtures;
using SlotEngine.Redis.Transport;

namespace SlotEngine.Redis.Tests;

public sealed class PubSubTests
{
    [Fact]
    public async Task Subscriber_receives_messages_and_is_resubscribed_after_its_connection_is_killed()
    {
        await using var server = await RedisServer.StartAsync();
        var options = RedisConnectionOptions.Parse(server.ConnectionString);
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
        await using var redis = await RedisConnection.ConnectAsync(options);
        var received = new ConcurrentQueue<string>();
        var restored = new ConcurrentQueue<DnsEndPoint>();
        redis.SubscriptionsRestored += restored.Enqueue;

        await redis.SubscribeAsync("cal:changes", (channel, message) => received.Enqueue($"{channel}={Encoding.UTF8.GetString(message.Span)}"));
        await redis.ExecuteAsync(null, "PUBLISH", "cal:changes", "v1");
        await Eventually.TrueAsync(() => received.Contains("cal:changes=v1"), "the first message");

        await server.CliAsync("CLIENT", "KILL", "TYPE", "pubsub");
        await Eventually.TrueAsync(() => !restored.IsEmpty, "the owner to be told that subscriptions were restored");

        await redis.ExecuteAsync(null, "PUBLISH", "cal:changes", "v2");
        await Eventually.TrueAsync(() => received.Contains("cal:changes=v2"), "a message after the reconnect");
        Assert.Equal(server.Port, restored.First().Port);
    }

    [Fact]
    public async Task Unsubscribed_channel_gets_no_more_messages_and_a_throwing_handler_is_contained()
    {
        await using var server = await RedisServer.StartAsync();
        await using var redis = await RedisConnection.ConnectAsync(server.ConnectionString);
        var failures = new ConcurrentQueue<Exception>();
        redis.HandlerFailed += failures.Enqueue;
        var good = new ConcurrentQueue<string>();
        await redis.SubscribeAsync("bad", (_, _) => throw new InvalidOperationException("handler bug"));
        await redis.SubscribeAsync("good", (_, m) => good.Enqueue(Encoding.UTF8.GetString(m.Span)));

        await redis.ExecuteAsync(null, "PUBLISH", "bad", "x");
        await redis.ExecuteAsync(null, "PUBLISH", "good", "1");
        await Eventually.TrueAsync(() => good.Contains("1") && !failures.IsEmpty, "the good handler to run and the bad one to be reported");

        await redis.UnsubscribeAsync("good");
        Assert.Equal(0, (await redis.ExecuteAsync(null, "PUBLISH", "good", "2")).AsInt64()); // no subscriber left
    }
}
