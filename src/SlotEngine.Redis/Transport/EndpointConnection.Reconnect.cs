namespace SlotEngine.Redis.Transport;

internal sealed partial class EndpointConnection
{
    private async Task<RedisLink> OpenLinkAsync(CancellationToken cancellationToken)
    {
        var link = await RedisLink.OpenAsync(Endpoint, _options, _time, _tryHandlePush, cancellationToken).ConfigureAwait(false);
        var opening = OnLinkOpening;
        if (opening is not null)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.ConnectTimeout);
                await opening(link, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                link.Fail(e);
                throw;
            }
        }

        return link;
    }

    /// <summary>Makes <paramref name="link"/> current and wakes the senders that waited for it.</summary>
    private void Publish(RedisLink link, bool isReconnect)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            link.Fail(new ObjectDisposedException(nameof(RedisConnection)));
            return;
        }

        Volatile.Write(ref _link, link);
        Volatile.Read(ref _linkReady).TrySetResult(link);
        link.OnFailed(OnLinkFailed);
        if (isReconnect)
        {
            Interlocked.Increment(ref _reconnectCount);
            Reconnected?.Invoke(this);
        }
    }

    private void OnLinkFailed(RedisLink link, Exception cause)
    {
        Volatile.Write(ref _lastError, cause);
        if (Volatile.Read(ref _disposed) != 0 || !ReferenceEquals(Volatile.Read(ref _link), link))
        {
            return;
        }

        // Order matters (see the class remarks): a fresh pending task first, then no link.
        Volatile.Write(ref _linkReady, NewLinkReady());
        Volatile.Write(ref _link, null);
        if (Interlocked.CompareExchange(ref _reconnecting, 1, 0) == 0)
        {
            _ = ReconnectLoopAsync(isReconnect: true);
        }
    }

    /// <summary>Tries to open a link until one opens or the connection is disposed, with exponential backoff and jitter.</summary>
    private async Task ReconnectLoopAsync(bool isReconnect)
    {
        var delay = _options.ReconnectMinDelay;
        var token = _disposal.Token;
        try
        {
            // The first attempt of a reconnect waits too: a server that just dropped us is rarely back at once.
            var wait = isReconnect;
            while (!token.IsCancellationRequested)
            {
                if (wait)
                {
                    var jittered = delay * (0.8 + (0.4 * Random.Shared.NextDouble()));
                    await Task.Delay(jittered, _time, token).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                }

                wait = true;
                try
                {
                    var link = await OpenLinkAsync(token).ConfigureAwait(false);
                    Volatile.Write(ref _reconnecting, 0);
                    Publish(link, isReconnect);
                    return;
                }
                catch (Exception e) when (e is RedisException or IOException or OperationCanceledException && !token.IsCancellationRequested)
                {
                    Volatile.Write(ref _lastError, e);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Disposed while reconnecting.
        }
        catch (ObjectDisposedException)
        {
            // Disposed while reconnecting.
        }

        Volatile.Write(ref _reconnecting, 0);
    }
}
