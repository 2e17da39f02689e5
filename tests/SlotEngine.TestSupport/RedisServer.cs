using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SlotEngine.TestSupport;

/// <summary>How to start a <see cref="RedisServer"/>.</summary>
public sealed record RedisServerOptions
{
    /// <summary>appendonly yes, fsync always (for durability tests).</summary>
    public bool AppendOnly { get; init; }

    /// <summary>requirepass: the default user's password.</summary>
    public string? Password { get; init; }

    /// <summary>An extra ACL user with all permissions: (name, password).</summary>
    public (string User, string Password)? AclUser { get; init; }

    public bool ClusterEnabled { get; init; }

    /// <summary>Start as a replica of this port on 127.0.0.1.</summary>
    public int? ReplicaOf { get; init; }

    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>Listen on this port instead of a free one the launcher picks (e.g. a port a client already waits on).</summary>
    public int? Port { get; init; }

    /// <summary>Also serve TLS with these files (on <see cref="RedisServer.TlsPort"/>; the plain port stays for the launcher and redis-cli).</summary>
    public RedisTlsFiles? Tls { get; init; }
}

/// <summary>
/// A real redis-server process of the test's own: bound to 127.0.0.1 on a free port, in a temporary
/// directory, not daemonized, with no RDB snapshots. Killed and its directory deleted on dispose.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly RedisServerOptions _options;
    private Process? _process;

    /// <summary>
    /// The test process runs many engines, and blocking stress loops, at once on CI's two cores. With the thread pool's
    /// default minimum (one worker per core) a reply already read from the socket waits behind queued work until the pool
    /// injects threads (slowly, about two a second), and a client's 5 s command timeout fires: a test fails on the
    /// machine's load, not on the code. A higher minimum lets the pool start threads at once.
    /// </summary>
    static RedisServer()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }

    private RedisServer(RedisServerOptions options, int port, string directory)
    {
        _options = options;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    /// <summary>The TLS port, when <see cref="RedisServerOptions.Tls"/> was given (0 otherwise).</summary>
    public int TlsPort { get; private set; }

    /// <summary>The cluster bus port (when cluster-enabled).</summary>
    public int BusPort { get; private set; }

    public string Directory { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>A connection string for this server, with the default user's password if any.</summary>
    public string ConnectionString => _options.Password is null ? Endpoint : $"{Endpoint},password={_options.Password}";

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null)
    {
        options ??= new RedisServerOptions();
        _ = RedisTools.Server; // fail early, with the install hint, when Redis is missing
        for (var attempt = 1; ; attempt++)
        {
            var directory = Path.Combine(Path.GetTempPath(), "slotengine-redis-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(directory);
            var server = new RedisServer(options, options.Port ?? FreePort.Next(), directory);
            try
            {
                await server.LaunchAsync();
                return server;
            }
            catch (RedisServerStartException e) when (attempt < 3 && e.Message.Contains("Address already in use", StringComparison.Ordinal))
            {
                // Most likely the port was taken between choosing and binding it: try another.
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>SIGKILL: no shutdown, no final save.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>Starts the server again on the same port, in the same directory (so AOF data comes back).</summary>
    public async Task RestartAsync()
    {
        Kill();
        _process?.Dispose();
        _process = null;
        await LaunchAsync();
    }

    /// <summary>Runs a command through redis-cli against this server; returns its raw output.</summary>
    public Task<string> CliAsync(params string[] args)
    {
        var all = new List<string> { "-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (_options.Password is not null)
        {
            all.AddRange(["-a", _options.Password, "--no-auth-warning"]);
        }

        all.AddRange(args);
        return RedisTools.RunCliAsync(all);
    }

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo(RedisTools.Server) { UseShellExecute = false };
        var args = start.ArgumentList;
        void Add(params string[] values)
        {
            foreach (var value in values)
            {
                args.Add(value);
            }
        }

        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Add("--port", port, "--bind", "127.0.0.1", "--dir", Directory, "--daemonize", "no", "--save", string.Empty,
            "--logfile", Path.Combine(Directory, "redis.log"), "--protected-mode", "no");
        Add("--appendonly", _options.AppendOnly ? "yes" : "no");
        if (_options.AppendOnly)
        {
            Add("--appendfsync", "always");
        }

        if (_options.Password is not null)
        {
            Add("--requirepass", _options.Password);
        }

        if (_options.AclUser is { } user)
        {
            Add("--user", user.User, "on", ">" + user.Password, "~*", "&*", "+@all");
        }

        if (_options.ClusterEnabled)
        {
            if (BusPort == 0)
            {
                BusPort = FreePort.Next();
            }

            Add("--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(Directory, "nodes.conf"),
                "--cluster-node-timeout", "5000", "--cluster-port", BusPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (_options.Tls is { } tls)
        {
            if (TlsPort == 0)
            {
                TlsPort = FreePort.Next();
            }

            Add("--tls-port", TlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tls-cert-file", tls.CertificateFile,
                "--tls-key-file", tls.KeyFile, "--tls-ca-cert-file", tls.CaCertificateFile, "--tls-auth-clients", "no");
        }

        if (_options.ReplicaOf is { } primary)
        {
            Add("--replicaof", "127.0.0.1", primary.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (_options.Password is not null)
            {
                Add("--masterauth", _options.Password);
            }
        }

        Add([.. _options.ExtraArguments]);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        try
        {
            await Eventually.TrueAsync(PingsAsync, $"redis-server on port {Port} to answer", TimeSpan.FromSeconds(15));
        }
        catch (Exception e) when (e is TimeoutException or RedisServerStartException)
        {
            var log = File.Exists(Path.Combine(Directory, "redis.log")) ? await File.ReadAllTextAsync(Path.Combine(Directory, "redis.log")) : "(no log)";
            Kill();
            throw new RedisServerStartException($"redis-server on port {Port} did not come up (exited: {_process.HasExited}). Log:\n{log}", e);
        }
    }

    /// <summary>True once the server answers PING (or NOAUTH, which also means it is serving).</summary>
    private async Task<bool> PingsAsync()
    {
        if (_process is null || _process.HasExited)
        {
            throw new RedisServerStartException($"redis-server on port {Port} exited with code {_process?.ExitCode}.");
        }

        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray());
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer);
            var reply = Encoding.ASCII.GetString(buffer, 0, read);
            return reply.StartsWith("+PONG", StringComparison.Ordinal) || reply.StartsWith("-NOAUTH", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: leave the temp dir to the OS.
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>A redis-server process of a fixture did not start or stopped while starting.</summary>
public sealed class RedisServerStartException(string message, Exception? inner = null) : Exception(message, inner);
