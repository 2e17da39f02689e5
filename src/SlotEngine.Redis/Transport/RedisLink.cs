using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// One TCP (optionally TLS) connection to one Redis server, for its whole life and no longer: it is
/// never reopened. <see cref="EndpointConnection"/> replaces a failed link with a new one.
/// </summary>
/// <remarks>
/// <para><b>Multiplexing.</b> Any number of callers send at once. A sender, under <see cref="_writeLock"/>,
/// appends its encoded command to an in-memory pipe and enqueues its <see cref="PendingReply"/> on
/// <see cref="_awaitingReply"/>, so the order of the FIFO is the order of the bytes. Redis answers in
/// order, so the reader matches each reply to the head of the FIFO.</para>
/// <para><b>Batching.</b> The pipe has no back-pressure, so appending never waits. A single writer loop
/// takes everything appended since its last turn and puts it on the socket with one write and one
/// flush: under load, many commands share each system call and TLS record.</para>
/// <para><b>Failure.</b> Any I/O or protocol error fails the link once (<see cref="_failed"/> 0 → 1 by
/// CAS). Then every command in the FIFO fails with <see cref="RedisConnectionException"/>, and so does
/// every later send, since senders test <see cref="_failed"/> under the same lock the failure drains
/// under. Nothing is resent.</para>
/// </remarks>
internal sealed partial class RedisLink
{
    private static readonly byte[] AskingCommand = "*1\r\n$6\r\nASKING\r\n"u8.ToArray();

    private readonly Stream _stream;
    private readonly System.IO.Pipelines.Pipe _outbound = new(new(
        pauseWriterThreshold: 0, // never make a sender wait: appending is synchronous under the write lock
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false));

    /// <summary>Serializes appends to <see cref="_outbound"/> together with enqueues on <see cref="_awaitingReply"/>.</summary>
    private readonly Lock _writeLock = new();

    /// <summary>Guards <see cref="_awaitingReply"/>. Taken after <see cref="_writeLock"/> when both are held.</summary>
    private readonly Lock _queueLock = new();
    private readonly Queue<PendingReply> _awaitingReply = new();
    private readonly Func<RedisReply, bool>? _tryHandlePush;
    private readonly TimeProvider _time;

    /// <summary>0 while the link works; 1 once it has failed. Moves only 0 → 1 (by CAS in <see cref="Fail"/>).</summary>
    private int _failed;
    private Action<RedisLink, Exception>? _onFailed;

    private RedisLink(Stream stream, string endpointName, TimeProvider time, Func<RedisReply, bool>? tryHandlePush)
    {
        _stream = stream;
        EndpointName = endpointName;
        _time = time;
        _tryHandlePush = tryHandlePush;
    }

    /// <summary>host:port, for messages.</summary>
    public string EndpointName { get; }

    public bool IsAlive => Volatile.Read(ref _failed) == 0;

    /// <summary>How many commands wait for a reply on this link.</summary>
    public int AwaitingReplies
    {
        get
        {
            lock (_queueLock)
            {
                return _awaitingReply.Count;
            }
        }
    }

    public static string NameOf(DnsEndPoint endpoint) =>
        endpoint.Host.Contains(':', StringComparison.Ordinal) ? $"[{endpoint.Host}]:{endpoint.Port}" : $"{endpoint.Host}:{endpoint.Port}";

    /// <summary>
    /// Opens a link: TCP connect, TLS if configured, and <c>AUTH</c> if a password is set, all within
    /// <see cref="RedisConnectionOptions.ConnectTimeout"/>.
    /// </summary>
    /// <remarks><c>tryHandlePush</c>, for a subscriber link, consumes pushed messages before FIFO matching.</remarks>
    /// <exception cref="RedisConnectionException">The link could not be opened; the message says why.</exception>
    public static async Task<RedisLink> OpenAsync(
        DnsEndPoint endpoint,
        RedisConnectionOptions options,
        TimeProvider time,
        Func<RedisReply, bool>? tryHandlePush,
        CancellationToken cancellationToken)
    {
        var name = NameOf(endpoint);
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        Socket? socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        RedisLink? link = null;
        try
        {
            await socket.ConnectAsync(endpoint, linked.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, options.CertificateValidation);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions { TargetHost = options.SslHost ?? endpoint.Host },
                    linked.Token).ConfigureAwait(false);
            }

            link = new RedisLink(stream, name, time, tryHandlePush);
            stream = null; // the link owns it now
            link.Start();
            if (options.Password is not null)
            {
                await link.AuthenticateAsync(options, linked.Token).ConfigureAwait(false);
            }

            var opened = link;
            link = null; // success: nothing for the finally block to clean up
            socket = null;
            return opened;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RedisConnectionException($"Connecting to {name} did not finish within the connect timeout of {options.ConnectTimeout.TotalMilliseconds} ms.");
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            throw new RedisConnectionException($"Could not connect to {name}: {e.Message}", e);
        }
        finally
        {
            if (link is not null)
            {
                link.Fail(new RedisConnectionException($"Opening the connection to {name} failed."));
            }
            else if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket?.Dispose();
            }
        }
    }

    /// <summary>Tells <paramref name="onFailed"/> once when the link fails (at once if it already has).</summary>
    public void OnFailed(Action<RedisLink, Exception> onFailed)
    {
        _onFailed = onFailed;
        if (!IsAlive)
        {
            onFailed(this, new RedisConnectionException($"The connection to {EndpointName} is closed."));
        }
    }

    private async Task AuthenticateAsync(RedisConnectionOptions options, CancellationToken cancellationToken)
    {
        using var auth = options.User is null
            ? RedisCommand.Create("AUTH", options.Password!)
            : RedisCommand.Create("AUTH", options.User, options.Password!);
        var deadline = _time.GetTimestamp() + (long)(options.ConnectTimeout.TotalSeconds * _time.TimestampFrequency);
        var reply = await SendAsync(auth, deadline, cancellationToken).ConfigureAwait(false);
        if (reply.IsError)
        {
            var error = new RedisConnectionException($"AUTH to {EndpointName} failed{(options.User is null ? string.Empty : $" for user '{options.User}'")}: {reply.ErrorMessage}");
            Fail(error);
            throw error;
        }
    }
}
