#pragma warning disable SER009 // StackExchange.Redis's push transport (RESPite.Transports) is marked experimental in 3.4.
using System.Net;
using System.Net.Sockets;
using RESPite.Transports;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace SlotEngine.Redis.Client;

/// <summary>
/// The sockets of a multiplexer the store makes, serviced by the store instead of StackExchange.Redis's own threads,
/// through the client's public transport seam (<see cref="Tunnel.ConnectTransportAsync"/>, a <see cref="DuplexTransport"/>):
/// StackExchange.Redis still formats every command and parses every reply; this only moves bytes. A plain TCP
/// connection only: with TLS the tunnel answers null and the client makes its own socket.
/// </summary>
/// <remarks>
/// Why: with the client's <c>DedicatedThreads</c> writer, every command written from a pool worker wakes the connection's
/// writer thread (a futex wake, the writer's switch in and out and its <c>send</c>: about a quarter of the client's CPU per
/// booking in the ninth round's profile); on the thread pool the async writer is a pool item per flush. Here the thread
/// that wrote a command sends it itself (<see cref="SocketTransport.DeferSends"/>: after the client's write lock is let go),
/// a thread finding a send in progress leaves its bytes to that sender, and a pool thread with work items waiting behind it
/// (replies about to write their next commands) queues one send behind them, so sends coalesce under load. Each
/// connection has one reader thread of its own that hands received bytes to the client's parser (the subscription's too,
/// instead of the runtime's socket engine and a pool item per read).
/// </remarks>
internal sealed class SocketTunnel : Tunnel
{
    private readonly TimeSpan _connectTimeout;

    /// <summary>A tunnel whose connects give up after <paramref name="connectTimeout"/> (the client's <c>connectTimeout</c>).</summary>
    public SocketTunnel(TimeSpan connectTimeout) => _connectTimeout = connectTimeout;

    /// <inheritdoc/>
    public override async ValueTask<DuplexTransport?> ConnectTransportAsync(EndPoint endpoint, ConnectionType connectionType, TlsOptions tls, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (tls.IsEnabled)
        {
            return null; // the client's own socket and TLS stream
        }

        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // A blocking connect, on a pool thread: a socket once used asynchronously is non-blocking to the OS for good,
            // and its blocking sends and receives would then wait through the runtime's socket engine. The client puts no
            // timeout on a tunnel's connect, so this one closes the socket when the client's connect timeout passes.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_connectTimeout);
            using var closeOnTimeout = timeout.Token.Register(static s => ((Socket)s!).Dispose(), socket);
            await Task.Run(() => socket.Connect(endpoint), CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new SocketTransport(socket, connectionType.ToString());
    }

    /// <inheritdoc/>
    public override string ToString() => "SlotEngine sockets";
}

/// <summary>
/// One connection's socket as a <see cref="DuplexTransport"/> (see <see cref="SocketTunnel"/>).
/// </summary>
/// <remarks>
/// <para><b>Writes.</b> The client stages a command's bytes by <see cref="GetMemory"/> / <see cref="Advance"/> and then calls
/// <see cref="Flush"/>, all inside its write lock, so <see cref="_stage"/> and <see cref="_staged"/> have one writer at a time and
/// no lock of ours. <see cref="Flush"/> moves the staged bytes to <see cref="_outbox"/> (under <see cref="_outLock"/>), in the
/// order the client wrote them, and then sends (<see cref="Drain"/>) unless the calling thread has promised to
/// (<see cref="DeferSends"/>), which it does right after the client's call returns, outside the client's write lock.</para>
/// <para><b>Invariants of the send</b>: only the thread that set <see cref="_sending"/> from 0 to 1 (by CAS) sends, so bytes
/// leave in outbox order; it sends until it finds the outbox empty under <see cref="_outLock"/>, then clears
/// <see cref="_sending"/> and looks once more: bytes moved in after its last look but before the clear are sent by it (the
/// look after the clear sees them and takes <see cref="_sending"/> again) or by their own thread (whose CAS then succeeds).
/// So no flushed byte is left unsent while no one sends. The arrays <see cref="_stage"/> (the client's, inside its write
/// lock), <see cref="_outbox"/> (under <see cref="_outLock"/>), <see cref="_spare"/> (the sender's) and the one being sent are
/// never the same array: <see cref="Flush"/> swaps stage and outbox only under the lock while the outbox is empty, and the
/// sender replaces the outbox it takes with its spare (or a new array after a failed send) and keeps the sent one as spare.</para>
/// <para><b>Reads.</b> One thread per connection receives into a buffer of its own and hands each read to the client's
/// parser (<see cref="TransportReceiver.OnReceived"/>), then <see cref="TransportReceiver.OnBatchEnd"/>; end of stream or a
/// socket error ends it with <see cref="TransportReceiver.OnClosed"/> (not after <see cref="DisposeAsync"/>).</para>
/// </remarks>
internal sealed class SocketTransport : DuplexTransport, IThreadPoolWorkItem
{
    private const int InitialBuffer = 16 * 1024;
    private const int ReceiveBuffer = 64 * 1024;

    [ThreadStatic]
    private static int s_deferring;

    [ThreadStatic]
    private static SocketTransport? s_deferred;

    private readonly Socket _socket;
    private readonly string _kind;
    private readonly Lock _outLock = new();
    private byte[] _stage = new byte[InitialBuffer];
    private int _staged;
    private byte[] _outbox = new byte[InitialBuffer];
    private int _outCount;
    private byte[]? _spare = new byte[InitialBuffer]; // the sender's alone (while it holds _sending): an array no one else references

    private int _sending;
    private int _drainQueued;
    private int _disposed;
    private TransportReceiver? _receiver;

    public SocketTransport(Socket socket, string kind)
    {
        _socket = socket;
        _kind = kind;
    }

    /// <summary>
    /// Until <see cref="SendDeferred"/>, flushes on this thread leave their bytes for the thread to send afterwards: a call
    /// made between the two sends after the client's write lock is let go. Returns what <see cref="SendDeferred"/> takes.
    /// </summary>
    public static int DeferSends() => s_deferring++;

    /// <summary>Ends <see cref="DeferSends"/> (given its result) and sends what this thread's calls flushed meanwhile.</summary>
    public static void SendDeferred(int outer)
    {
        s_deferring = outer;
        if (outer == 0 && s_deferred is { } transport)
        {
            s_deferred = null;
            transport.DrainSoon();
        }
    }

    /// <summary>
    /// Sends now, or, on a pool thread while other work items wait (replies whose continuations will write more commands
    /// here), once after them: one queued <see cref="IThreadPoolWorkItem.Execute"/> at a time (<see cref="_drainQueued"/>), so their commands
    /// leave in one send instead of one each.
    /// </summary>
    private void DrainSoon()
    {
        if (Thread.CurrentThread.IsThreadPoolThread && ThreadPool.PendingWorkItemCount > 0)
        {
            // Invariant: while _drainQueued is 1 an Execute is queued that has not yet cleared it, and it clears it before it
            // drains, so bytes flushed before a failed CAS here are in the outbox when that drain looks.
            if (Interlocked.CompareExchange(ref _drainQueued, 1, 0) == 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }

            return;
        }

        Drain();
    }

    /// <summary>The queued send of <see cref="DrainSoon"/>.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        Interlocked.Exchange(ref _drainQueued, 0);
        Drain();
    }

    /// <inheritdoc/>
    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        var need = _staged + Math.Max(sizeHint, 256);
        if (need > _stage.Length)
        {
            Array.Resize(ref _stage, Math.Max(need, _stage.Length * 2));
        }

        return _stage.AsMemory(_staged);
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    /// <inheritdoc/>
    public override void Advance(int count) => _staged += count;

    /// <inheritdoc/>
    public override bool Flush()
    {
        var count = _staged;
        if (count > 0)
        {
            lock (_outLock)
            {
                if (_outCount == 0 && _outbox.Length >= count)
                {
                    (_outbox, _stage) = (_stage, _outbox);
                }
                else
                {
                    if (_outCount + count > _outbox.Length)
                    {
                        Array.Resize(ref _outbox, Math.Max(_outCount + count, _outbox.Length * 2));
                    }

                    _stage.AsSpan(0, count).CopyTo(_outbox.AsSpan(_outCount));
                }

                _outCount += count;
            }

            _staged = 0;
        }

        if (s_deferring > 0)
        {
            if (s_deferred is { } other && other != this)
            {
                other.Drain();
            }

            s_deferred = this;
        }
        else
        {
            Drain();
        }

        return true;
    }

    /// <summary>Sends the outbox unless another thread is sending it (which then sends these bytes too).</summary>
    private void Drain()
    {
        // Invariant: at most one thread holds _sending (0 -> 1 by this CAS, back to 0 by the release write in finally), and
        // only that thread takes the outbox and touches _spare. Bytes flushed while it sends are not lost to a failed CAS:
        // the sender empties the outbox under _outLock until it finds it empty, and after clearing _sending it reads
        // _outCount again here, so bytes added between its last look and the clear are sent by it or by the flusher's CAS.
        while (Volatile.Read(ref _outCount) > 0 && Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            try
            {
                while (true)
                {
                    byte[] buffer;
                    int count;
                    lock (_outLock)
                    {
                        count = _outCount;
                        if (count == 0)
                        {
                            break;
                        }

                        buffer = _outbox;
                        _outbox = _spare ?? new byte[buffer.Length];
                        _spare = null;
                        _outCount = 0;
                    }

                    SendAll(buffer, count);
                    _spare = buffer;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The connection is gone (or the send failed otherwise): the socket is shut, the reader sees it and tells the
                // client; what was not sent is the client's to fail. Never thrown: a drain may run as a queued work item.
                lock (_outLock)
                {
                    _outCount = 0;
                }

                Abort();
            }
            finally
            {
                Volatile.Write(ref _sending, 0);
            }
        }
    }

    private void SendAll(byte[] buffer, int count)
    {
        var sent = 0;
        while (sent < count)
        {
            sent += _socket.Send(buffer, sent, count - sent, SocketFlags.None);
        }
    }

    /// <inheritdoc/>
    public override void Start(TransportReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(receiver);
        _receiver = receiver;
        var thread = new Thread(static s => ((SocketTransport)s!).ReadLoop())
        {
            IsBackground = true,
            Name = "SlotEngine Redis " + _kind,
        };
        thread.Start(this);
    }

    private void ReadLoop()
    {
        var receiver = _receiver!;
        var buffer = new byte[ReceiveBuffer];
        Exception? fault = null;
        try
        {
            while (true)
            {
                var read = _socket.Receive(buffer, 0, buffer.Length, SocketFlags.None);
                if (read <= 0)
                {
                    break;
                }

                if (!receiver.OnReceived(buffer.AsSpan(0, read)))
                {
                    break;
                }

                receiver.OnBatchEnd();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A thread of our own: nothing may escape it (the process would end). The client hears of it by OnClosed.
            fault = e;
        }

        Abort();
        if (Volatile.Read(ref _disposed) == 0)
        {
            try
            {
                receiver.OnClosed(fault is SocketException or ObjectDisposedException ? null : fault);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The client's own failure handling threw; the connection is closed either way.
            }
        }
    }

    private void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public override ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Abort();
            _socket.Dispose();
        }

        return default;
    }
}
