using System.Buffers;

namespace SlotEngine.Redis.Transport;

internal sealed partial class RedisLink
{
    /// <summary>
    /// Sends <paramref name="command"/> and returns its reply (an error reply is returned, not thrown).
    /// With <paramref name="asking"/>, <c>ASKING</c> goes first, adjacent on the wire, as a cluster
    /// <c>ASK</c> redirect requires. Never waits on the network: the bytes are appended to the outbound
    /// pipe before this returns, so the command's place in the FIFO is fixed on return.
    /// </summary>
    public ValueTask<RedisReply> SendAsync(in RedisCommand command, long deadline, CancellationToken cancellationToken, bool asking = false)
    {
        var pending = PendingReply.Rent(command.Name, deadline, awaited: true);
        var askingReply = asking ? PendingReply.Rent("ASKING", deadline, awaited: false) : null;
        var sent = false;
        lock (_writeLock)
        {
            if (Volatile.Read(ref _failed) == 0)
            {
                var writer = _outbound.Writer;
                if (askingReply is not null)
                {
                    writer.Write(AskingCommand);
                }

                writer.Write(command.Bytes);
                lock (_queueLock)
                {
                    if (askingReply is not null)
                    {
                        _awaitingReply.Enqueue(askingReply);
                    }

                    _awaitingReply.Enqueue(pending);
                }

                // No back-pressure (pauseWriterThreshold 0), so this completes at once; it only makes the
                // bytes visible to the writer loop.
                _ = writer.FlushAsync(CancellationToken.None);
                sent = true;
            }
        }

        if (!sent)
        {
            askingReply?.Release();
            pending.TryFail(new RedisConnectionException($"The connection to {EndpointName} is closed; {command.Name} was not sent."));
            pending.Release(); // the FIFO's share: it was never enqueued
            return pending.AsValueTask();
        }

        pending.RegisterCancellation(cancellationToken);
        return pending.AsValueTask();
    }

    /// <summary>Fails, with <see cref="RedisTimeoutException"/>, every command whose deadline is at or before <paramref name="now"/>.</summary>
    public void FailOverdue(long now, TimeSpan timeout)
    {
        lock (_queueLock)
        {
            var waiting = _awaitingReply.Count;
            foreach (var pending in _awaitingReply)
            {
                if (now >= pending.Deadline && !pending.IsCompleted)
                {
                    pending.TryFail(new RedisTimeoutException(
                        $"{pending.CommandName} to {EndpointName} got no reply within {timeout.TotalMilliseconds} ms " +
                        $"({waiting} commands were awaiting replies on the connection). It may still run on the server."));
                }
            }
        }
    }

    /// <summary>
    /// Fails the link once: closes the socket, fails every command awaiting a reply, refuses later sends,
    /// and tells the owner.
    /// </summary>
    public void Fail(Exception cause)
    {
        if (Interlocked.CompareExchange(ref _failed, 1, 0) != 0)
        {
            return;
        }

        PendingReply[] orphans;
        lock (_writeLock)
        {
            lock (_queueLock)
            {
                orphans = _awaitingReply.ToArray();
                _awaitingReply.Clear();
            }

            _outbound.Writer.Complete();
        }

        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Closing a broken stream may throw; the link is dead either way.
        }

        foreach (var pending in orphans)
        {
            pending.TryFail(new RedisConnectionException(
                $"The connection to {EndpointName} was lost before the reply to {pending.CommandName} came ({cause.Message}). " +
                "The command may or may not have run; it was not retried.",
                cause));
            pending.Release();
        }

        Volatile.Read(ref _onFailed)?.Invoke(this, cause);
    }

    private void Start()
    {
        _ = Task.Run(WriteLoopAsync);
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>Moves everything appended since the last turn onto the socket: one write and one flush per batch.</summary>
    private async Task WriteLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    if (buffer.IsSingleSegment)
                    {
                        await _stream.WriteAsync(buffer.First).ConfigureAwait(false);
                    }
                    else
                    {
                        await WriteCoalescedAsync(buffer).ConfigureAwait(false);
                    }

                    await _stream.FlushAsync().ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            Fail(e);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Copies a multi-segment batch into one pooled buffer (in chunks of at most 1 MiB) so it leaves in few writes.</summary>
    private async Task WriteCoalescedAsync(ReadOnlySequence<byte> buffer)
    {
        var chunk = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length, 1024 * 1024));
        try
        {
            while (!buffer.IsEmpty)
            {
                var size = (int)Math.Min(buffer.Length, chunk.Length);
                buffer.Slice(0, size).CopyTo(chunk);
                await _stream.WriteAsync(chunk.AsMemory(0, size)).ConfigureAwait(false);
                buffer = buffer.Slice(size);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
