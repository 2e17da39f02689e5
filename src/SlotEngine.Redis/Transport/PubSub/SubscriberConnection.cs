using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace SlotEngine.Redis.Transport.PubSub;

/// <summary>
/// A connection in subscriber mode to one node: it carries only (S)SUBSCRIBE / (S)UNSUBSCRIBE and the
/// messages they bring, renews every subscription on each new link before the link is used, and then
/// tells its owner that a reconnect happened, so the owner can reload what it may have missed.
/// </summary>
/// <remarks>
/// Each (S)SUBSCRIBE names one channel, so each command gets exactly one confirmation and the link's FIFO
/// matching holds. Messages (<c>message</c>, <c>smessage</c>) are taken out before FIFO matching. A
/// <c>sunsubscribe</c> for a channel still in <see cref="_subscriptions"/> was not asked for (we remove a
/// channel before unsubscribing it): the server dropped it because its slot moved, and the owner is told.
/// </remarks>
internal sealed class SubscriberConnection : IAsyncDisposable
{
    private readonly EndpointConnection _connection;
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Action<Subscription> _displaced;
    private readonly Action<Exception> _handlerFailed;

    public SubscriberConnection(
        DnsEndPoint endpoint,
        RedisConnectionOptions options,
        TimeProvider time,
        Action<Subscription> displaced,
        Action<DnsEndPoint> restored,
        Action<Exception> handlerFailed)
    {
        _displaced = displaced;
        _handlerFailed = handlerFailed;
        _connection = new EndpointConnection(endpoint, options, time, TryHandlePush)
        {
            OnLinkOpening = ResubscribeAsync,
            Reconnected = connection => restored(connection.Endpoint),
        };
        _connection.StartConnecting();
    }

    public EndpointConnection Connection => _connection;

    public bool Holds(string channel) => _subscriptions.ContainsKey(channel);

    /// <summary>Subscribes; returns the server's reply (an error such as <c>MOVED</c> is returned, and the channel not kept).</summary>
    public async Task<RedisReply> SubscribeAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        // Registered first, so that a message right after the confirmation finds its handler.
        _subscriptions[subscription.Channel] = subscription;
        using var command = RedisCommand.Create(subscription.Sharded ? "SSUBSCRIBE" : "SUBSCRIBE", subscription.Channel);
        RedisReply reply;
        try
        {
            reply = await _connection.SendAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _subscriptions.TryRemove(subscription.Channel, out _);
            throw;
        }

        if (reply.IsError)
        {
            _subscriptions.TryRemove(subscription.Channel, out _);
        }

        return reply;
    }

    public async Task<bool> UnsubscribeAsync(string channel, CancellationToken cancellationToken)
    {
        if (!_subscriptions.TryRemove(channel, out var subscription))
        {
            return false;
        }

        using var command = RedisCommand.Create(subscription.Sharded ? "SUNSUBSCRIBE" : "UNSUBSCRIBE", channel);
        (await _connection.SendAsync(command, cancellationToken).ConfigureAwait(false)).ThrowIfError();
        return true;
    }

    /// <summary>Renews every subscription on a new link, before it carries anything else.</summary>
    private async Task ResubscribeAsync(RedisLink link, CancellationToken cancellationToken)
    {
        foreach (var subscription in _subscriptions.Values)
        {
            using var command = RedisCommand.Create(subscription.Sharded ? "SSUBSCRIBE" : "SUBSCRIBE", subscription.Channel);
            const long deadline = long.MaxValue; // bounded by the connect timeout, through cancellationToken
            var reply = await link.SendAsync(command, deadline, cancellationToken).ConfigureAwait(false);
            if (reply.IsError)
            {
                // Typically MOVED: the shard channel's slot now lives elsewhere. The owner re-routes it.
                _subscriptions.TryRemove(subscription.Channel, out _);
                _displaced(subscription);
            }
        }
    }

    private bool TryHandlePush(RedisReply reply)
    {
        if (reply.Kind != RespKind.Array || reply.Count < 3 || reply[0].Kind != RespKind.BulkString)
        {
            return false;
        }

        var kind = reply[0].Bytes.Span;
        if (kind.SequenceEqual("message"u8) || kind.SequenceEqual("smessage"u8))
        {
            var channel = Encoding.UTF8.GetString(reply[1].Bytes.Span);
            if (_subscriptions.TryGetValue(channel, out var subscription))
            {
                try
                {
                    subscription.Handler(channel, reply[2].Bytes);
                }
                catch (Exception e)
                {
                    // A handler's bug must not end the feed for every other channel.
                    _handlerFailed(e);
                }
            }

            return true;
        }

        if (kind.SequenceEqual("pmessage"u8))
        {
            return true; // no pattern subscriptions are made; ignore
        }

        if (kind.SequenceEqual("sunsubscribe"u8))
        {
            var channel = Encoding.UTF8.GetString(reply[1].Bytes.Span);
            if (_subscriptions.TryRemove(channel, out var dropped))
            {
                _displaced(dropped);
                return true;
            }
        }

        return false;
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}

/// <summary>One channel's subscription.</summary>
internal sealed record Subscription(string Channel, bool Sharded, RedisMessageHandler Handler);
