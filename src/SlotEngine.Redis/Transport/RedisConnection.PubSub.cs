using System.Net;
using SlotEngine.Redis.Transport.Cluster;
using SlotEngine.Redis.Transport.PubSub;

namespace SlotEngine.Redis.Transport;

internal sealed partial class RedisConnection
{
    /// <inheritdoc/>
    public Task SubscribeAsync(string channel, RedisMessageHandler handler, CancellationToken cancellationToken = default) =>
        SubscribeCoreAsync(new Subscription(channel, Sharded: false, handler), cancellationToken);

    /// <inheritdoc/>
    public Task SSubscribeAsync(string channel, RedisMessageHandler handler, CancellationToken cancellationToken = default) =>
        SubscribeCoreAsync(new Subscription(channel, Sharded: true, handler), cancellationToken);

    /// <inheritdoc/>
    public async Task UnsubscribeAsync(string channel, CancellationToken cancellationToken = default)
    {
        foreach (var subscriber in _subscribers.Values)
        {
            if (subscriber.Holds(channel))
            {
                await subscriber.UnsubscribeAsync(channel, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Subscribes on the subscriber connection of the node that owns the channel's slot (for plain channels
    /// too: any node would do in a cluster, and this spreads them). A <c>MOVED</c> refreshes the topology and
    /// tries again, at most <see cref="RedisConnectionOptions.MaxRedirects"/> times.
    /// </summary>
    private async Task SubscribeCoreAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(subscription.Channel);
        ArgumentNullException.ThrowIfNull(subscription.Handler);
        var slot = HashSlot.Of(subscription.Channel);
        for (var attempt = 0; ; attempt++)
        {
            var endpoint = _standalone?.Endpoint ?? CurrentRoute.Connections[Math.Max(0, CurrentRoute.Topology.PrimaryIndexOf(slot))].Endpoint;
            var reply = await SubscriberAt(endpoint).SubscribeAsync(subscription, cancellationToken).ConfigureAwait(false);
            if (!reply.IsError)
            {
                return;
            }

            if (attempt >= _options.MaxRedirects || !reply.IsErrorWithPrefix("MOVED"u8))
            {
                reply.ThrowIfError();
            }

            await RefreshTopologyAsync(throwOnFailure: false).ConfigureAwait(false);
        }
    }

    private SubscriberConnection SubscriberAt(DnsEndPoint endpoint)
    {
        var name = RedisLink.NameOf(endpoint);
        if (_subscribers.TryGetValue(name, out var existing))
        {
            return existing;
        }

        lock (_nodesLock)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _subscribers.GetOrAdd(name, static (_, state) => new SubscriberConnection(
                state.endpoint,
                state.self._options,
                state.self._time,
                state.self.OnSubscriptionDisplaced,
                state.self.OnSubscriptionsRestored,
                state.self.OnHandlerFailed),
                (endpoint, self: this));
        }
    }

    /// <summary>The subscriber connections (for tests: to cut them).</summary>
    internal IEnumerable<SubscriberConnection> Subscribers => _subscribers.Values;

    private void OnSubscriptionsRestored(DnsEndPoint endpoint) => SubscriptionsRestored?.Invoke(endpoint);

    private void OnHandlerFailed(Exception error) => HandlerFailed?.Invoke(error);

    /// <summary>A node dropped a shard channel (its slot moved): subscribe again where it lives now, then tell the owner.</summary>
    private void OnSubscriptionDisplaced(Subscription subscription) => _ = ResubscribeElsewhereAsync(subscription);

    private async Task ResubscribeElsewhereAsync(Subscription subscription)
    {
        var delay = _options.ReconnectMinDelay;
        var token = _disposal.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await RefreshTopologyAsync(throwOnFailure: false).ConfigureAwait(false);
                await SubscribeCoreAsync(subscription, token).ConfigureAwait(false);
                var home = _standalone?.Endpoint ?? CurrentRoute.Connections[Math.Max(0, CurrentRoute.Topology.PrimaryIndexOf(HashSlot.Of(subscription.Channel)))].Endpoint;
                OnSubscriptionsRestored(home);
                return;
            }
            catch (Exception e) when (e is RedisException or OperationCanceledException or ObjectDisposedException)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                try
                {
                    await Task.Delay(delay, _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
            }
        }
    }
}
