using System.Diagnostics;
using System.Globalization;

namespace SlotEngine.TestSupport;

/// <summary>
/// A Sentinel deployment of the test's own: a primary, a replica of it, and three sentinels (each
/// <c>redis-server sentinel.conf --sentinel</c> on a free loopback port, quorum 2, down after 1 s) watching them
/// as <see cref="ServiceName"/>. Killed and cleaned up on dispose.
/// </summary>
public sealed class RedisSentinelGroup : IAsyncDisposable
{
    public const string ServiceName = "slotengine";

    private readonly List<SentinelProcess> _sentinels;

    private RedisSentinelGroup(RedisServer primary, RedisServer replica, List<SentinelProcess> sentinels)
    {
        Primary = primary;
        Replica = replica;
        _sentinels = sentinels;
    }

    /// <summary>The primary at start (after a failover, the replica is).</summary>
    public RedisServer Primary { get; }

    public RedisServer Replica { get; }

    /// <summary>A StackExchange.Redis connection string for the service through the sentinels.</summary>
    public string ConnectionString => string.Join(',', _sentinels.Select(s => "127.0.0.1:" + s.Port.ToString(CultureInfo.InvariantCulture))) + ",serviceName=" + ServiceName;

    public static async Task<RedisSentinelGroup> StartAsync()
    {
        var primary = await RedisServer.StartAsync();
        RedisServer? replica = null;
        var sentinels = new List<SentinelProcess>();
        try
        {
            replica = await RedisServer.StartAsync(new RedisServerOptions { ReplicaOf = primary.Port });
            await Eventually.TrueAsync(
                async () => (await replica.CliAsync("INFO", "replication")).Contains("master_link_status:up", StringComparison.Ordinal),
                "the replica to sync with its primary");
            for (var i = 0; i < 3; i++)
            {
                sentinels.Add(await SentinelProcess.StartAsync(primary.Port));
            }

            var group = new RedisSentinelGroup(primary, replica, sentinels);
            await Eventually.TrueAsync(
                async () => (await sentinels[0].CliAsync("SENTINEL", "REPLICAS", ServiceName)).Contains(replica.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
                    && (await sentinels[0].CliAsync("SENTINEL", "SENTINELS", ServiceName)).Split('\n').Count(l => l.Trim() == "name") >= 2,
                "the sentinels to know the replica and each other");
            return group;
        }
        catch
        {
            foreach (var sentinel in sentinels)
            {
                await sentinel.DisposeAsync();
            }

            if (replica is not null)
            {
                await replica.DisposeAsync();
            }

            await primary.DisposeAsync();
            throw;
        }
    }

    /// <summary>The port the sentinels now name as the primary.</summary>
    public async Task<int> PrimaryPortAsync()
    {
        var reply = (await _sentinels[0].CliAsync("SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(reply[1].Trim(), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sentinel in _sentinels)
        {
            await sentinel.DisposeAsync();
        }

        await Replica.DisposeAsync();
        await Primary.DisposeAsync();
    }

    private sealed class SentinelProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _directory;

        private SentinelProcess(Process process, int port, string directory)
        {
            _process = process;
            Port = port;
            _directory = directory;
        }

        public int Port { get; }

        public static async Task<SentinelProcess> StartAsync(int primaryPort)
        {
            var directory = Path.Combine(Path.GetTempPath(), "slotengine-sentinel-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            var port = FreePort.Next();
            var config = Path.Combine(directory, "sentinel.conf");
            var p = port.ToString(CultureInfo.InvariantCulture);
            await File.WriteAllTextAsync(config, string.Join('\n',
                "port " + p,
                "bind 127.0.0.1",
                "protected-mode no",
                "daemonize no",
                "dir " + directory,
                "logfile " + Path.Combine(directory, "sentinel.log"),
                "sentinel monitor " + ServiceName + " 127.0.0.1 " + primaryPort.ToString(CultureInfo.InvariantCulture) + " 2",
                "sentinel down-after-milliseconds " + ServiceName + " 1000",
                "sentinel failover-timeout " + ServiceName + " 5000",
                "sentinel parallel-syncs " + ServiceName + " 1",
                string.Empty));
            var start = new ProcessStartInfo(RedisTools.Server) { UseShellExecute = false };
            start.ArgumentList.Add(config);
            start.ArgumentList.Add("--sentinel");
            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server --sentinel did not start.");
            var sentinel = new SentinelProcess(process, port, directory);
            try
            {
                await Eventually.TrueAsync(async () => (await sentinel.CliAsync("PING")).Trim() == "PONG", $"the sentinel on port {p} to answer", TimeSpan.FromSeconds(15));
                return sentinel;
            }
            catch
            {
                await sentinel.DisposeAsync();
                throw;
            }
        }

        public Task<string> CliAsync(params string[] args) =>
            RedisTools.RunCliAsync(["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. args], TimeSpan.FromSeconds(10));

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }

            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // a file still open: leave it to the OS
            }

            return ValueTask.CompletedTask;
        }
    }
}
