using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// A redis-server of the test's own (/usr/bin/redis-server or the PATH's): 127.0.0.1 on a free port,
/// a temporary directory, no persistence; killed and its directory deleted on dispose. Ready once it
/// answers PING (polled, bounded).
/// </summary>
internal sealed class LocalRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private LocalRedis(Process process, int port, int busPort, string directory)
    {
        _process = process;
        Port = port;
        BusPort = busPort;
        _directory = directory;
    }

    public int Port { get; }

    /// <summary>The cluster bus port (0 when not cluster-enabled).</summary>
    public int BusPort { get; }

    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static Task<LocalRedis> StartAsync() => StartAsync(cluster: false);

    /// <summary>Starts one server; with <paramref name="cluster"/>, cluster-enabled (a bus port of its own, chosen free).</summary>
    public static async Task<LocalRedis> StartAsync(bool cluster)
    {
        var directory = Path.Combine(Path.GetTempPath(), "slotengine-loadtest-redis-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var port = FreePort();
        var busPort = cluster ? FreePort() : 0;
        var start = new ProcessStartInfo(File.Exists("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var args = new List<string> { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", Path.Combine(directory, "redis.log") };
        if (cluster)
        {
            args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(directory, "nodes.conf"), "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture), "--cluster-node-timeout", "5000"]);
        }

        args.ForEach(start.ArgumentList.Add);

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        var redis = new LocalRedis(process, port, busPort, directory);
        var deadline = Stopwatch.StartNew();
        while (!await redis.PingsAsync())
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await redis.DisposeAsync();
                throw new InvalidOperationException($"redis-server on port {port} did not answer PING");
            }

            await Task.Delay(20); // poll interval
        }

        return redis;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Sends one inline command and returns the start of the reply (up to 4 KB), or "" when the server does not answer.</summary>
    public async Task<string> SendAsync(string inlineCommand)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(inlineCommand + "\r\n"));
            var buffer = new byte[4096];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read);
        }
        catch (SocketException)
        {
            return string.Empty;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private async Task<bool> PingsAsync() => (await SendAsync("PING")).StartsWith("+PONG", StringComparison.Ordinal);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
