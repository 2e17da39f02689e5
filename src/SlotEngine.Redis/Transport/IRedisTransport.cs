using System.Net;

namespace SlotEngine.Redis.Transport;

/// <summary>Handles one pub/sub message. Runs on the connection's reader: it must be quick and must not block.</summary>
/// <param name="channel">The channel the message came on.</param>
/// <param name="message">The payload; the memory stays valid after the call.</param>
internal delegate void RedisMessageHandler(string channel, ReadOnlyMemory<byte> message);

/// <summary>
/// The seam between the store and a Redis client library. <see cref="RedisConnection"/> implements it on
/// SlotEngine's own RESP transport; a StackExchange.Redis-based implementation can be added beside it.
/// Every member is safe to call from many threads at once.
/// </summary>
/// <remarks>
/// Error replies throw <see cref="RedisServerException"/>; a lost connection throws
/// <see cref="RedisConnectionException"/>, and an overdue reply <see cref="RedisTimeoutException"/> — in
/// both cases the command may or may not have run, and it is not retried.
/// </remarks>
internal interface IRedisTransport : IAsyncDisposable
{
    /// <summary>Whether the deployment is a Redis Cluster.</summary>
    bool IsCluster { get; }

    /// <summary>
    /// Raised after a pub/sub connection came back and its subscriptions were renewed (or a subscription
    /// was moved to another node). Messages published meanwhile are lost: reload what they would have said.
    /// </summary>
    event Action<DnsEndPoint>? SubscriptionsRestored;

    /// <summary>Runs <c>command args…</c> on the node that owns <paramref name="routingKey"/>'s slot (any node when null).</summary>
    ValueTask<RedisReply> ExecuteAsync(string? routingKey, string command, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken);

    /// <summary>Runs a script by SHA-1, sending its text when the server does not have it cached. Routes by the first key.</summary>
    ValueTask<RedisReply> EvalShaAsync(RedisScript script, ReadOnlySpan<RedisArgument> keys, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken = default);

    /// <summary>Runs <c>command args…</c> once on every primary (e.g. <c>SCRIPT LOAD</c>, <c>SCRIPT FLUSH</c>, <c>FUNCTION LOAD</c>).</summary>
    ValueTask<RedisReply[]> ExecuteOnAllPrimariesAsync(string command, ReadOnlySpan<RedisArgument> args, CancellationToken cancellationToken = default);

    /// <summary>Subscribes to a channel (<c>SUBSCRIBE</c>); the subscription is renewed after every reconnect.</summary>
    Task SubscribeAsync(string channel, RedisMessageHandler handler, CancellationToken cancellationToken = default);

    /// <summary>Subscribes to a shard channel (<c>SSUBSCRIBE</c>) on the node that owns its slot.</summary>
    Task SSubscribeAsync(string channel, RedisMessageHandler handler, CancellationToken cancellationToken = default);

    /// <summary>Ends a subscription made with either subscribe method.</summary>
    Task UnsubscribeAsync(string channel, CancellationToken cancellationToken = default);
}
