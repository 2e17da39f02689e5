using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SlotEngine.TestSupport;

/// <summary>
/// A loopback TCP proxy in front of one server, for fault tests: <see cref="CutAll"/> resets every
/// connection through it at once (mid-command, as a network failure would), and
/// <see cref="Blackhole"/> keeps connections open but stops forwarding, so replies never come.
/// <see cref="Freeze"/> does the same to the connections open at that moment only. <see cref="Stall"/> holds bytes
/// back without losing them (a congested link) until <see cref="Resume"/>.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (Socket Client, Socket Server)> _pairs = new();
    private readonly Task _acceptLoop;
    private int _nextId;
    private int _frozenThrough;
    private long _heldBytes;
    private int _cuts;
    private TaskCompletionSource? _stall;

    public TcpFaultProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>While true, bytes are read but not forwarded in either direction.</summary>
    public bool Blackhole { get; set; }

    /// <summary>
    /// How many bytes were read and not forwarded, either way (while <see cref="Blackhole"/> or on a frozen
    /// connection). Each held byte belongs to a command that was sent and will never be answered: its own
    /// bytes, or its reply's.
    /// </summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>How many connections are open through the proxy.</summary>
    public int OpenConnections => _pairs.Count;

    /// <summary>How many connections <see cref="CutAll"/> has cut.</summary>
    public int Cuts => Volatile.Read(ref _cuts);

    /// <summary>
    /// Stops forwarding, in both directions, on every connection open now (a blackhole for them alone):
    /// what a client sends on them from here on stays in flight until <see cref="CutAll"/>. Connections
    /// opened later (a client reconnecting) are forwarded as usual.
    /// </summary>
    public void Freeze() => Volatile.Write(ref _frozenThrough, Volatile.Read(ref _nextId));

    /// <summary>
    /// Stops forwarding in both directions without dropping anything: what was read waits, and TCP flow control
    /// holds the rest in the peers' buffers. Connections stay open. <see cref="Resume"/> lets it all through.
    /// </summary>
    public void Stall() => Interlocked.CompareExchange(ref _stall, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    /// <summary>Ends a <see cref="Stall"/>: the held bytes are forwarded, in order.</summary>
    public void Resume() => Interlocked.Exchange(ref _stall, null)?.TrySetResult();

    /// <summary>Resets every open connection (RST, not a graceful close).</summary>
    public void CutAll()
    {
        // A snapshot: a client that reconnects while this runs must not be cut as well.
        foreach (var (id, pair) in _pairs.ToArray())
        {
            if (_pairs.TryRemove(id, out _))
            {
                Interlocked.Increment(ref _cuts);
                Reset(pair.Client);
                Reset(pair.Server);
            }
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already gone
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
                }
                catch (SocketException)
                {
                    Reset(client);
                    server.Dispose();
                    continue;
                }

                client.NoDelay = true;
                var id = Interlocked.Increment(ref _nextId);
                _pairs[id] = (client, server);
                _ = PumpAsync(id, client, server);
                _ = PumpAsync(id, server, client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // stopping
        }
    }

    private async Task PumpAsync(int id, Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                if (Volatile.Read(ref _stall) is { } stall)
                {
                    await stall.Task.WaitAsync(_stop.Token);
                }

                if (!Blackhole && id > Volatile.Read(ref _frozenThrough))
                {
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                }
                else
                {
                    Interlocked.Add(ref _heldBytes, read);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // cut or stopping
        }

        if (_pairs.TryRemove(id, out var pair))
        {
            Reset(pair.Client);
            Reset(pair.Server);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
