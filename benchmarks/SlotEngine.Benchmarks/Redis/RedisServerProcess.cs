using System.Diagnostics;
using System.Globalization;
using SlotEngine.Benchmarks.Infrastructure;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// A redis-server of the benchmark's own: 127.0.0.1 on a free port, a temporary directory, no
/// persistence (no RDB, no AOF), not daemonized. Killed and its directory deleted on dispose.
/// </summary>
/// <remarks>
/// In the benchmark's own session by default (a plain child). With <c>ownSession</c> it is started with <c>setsid</c>
/// (which runs it in place: same process) in a session of its own, as <c>pg_ctl</c> starts PostgreSQL's postmaster. With
/// the kernel's autogroup scheduling (<c>/proc/sys/kernel/sched_autogroup_enabled</c>, on by default) that places it in
/// another scheduling group than the client: on a loaded machine every round trip then waits for the other group's turn
/// (measured with <c>--postgres --only redis --redis-own-session</c>: 2-3× fewer bookings/s, booking p50 8× longer).
/// </remarks>
internal sealed class RedisServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServerProcess(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    /// <summary>redis-server's process id.</summary>
    public int Pid => _process.Id;

    public string Directory { get; }

    public string Endpoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether redis-server, redis-cli and redis-benchmark are on the PATH.</summary>
    public static bool ToolsPresent() => new[] { "redis-server", "redis-cli", "redis-benchmark" }.All(t => Which(t) is not null);

    /// <param name="cluster">Cluster mode.</param>
    /// <param name="extraArgs">More <c>redis-server</c> arguments (e.g. <c>--io-threads 2</c>).</param>
    /// <param name="ownSession">In a session of its own (see remarks); false: in the benchmark's session.</param>
    public static async Task<RedisServerProcess> StartAsync(bool cluster = false, IReadOnlyList<string>? extraArgs = null, bool ownSession = false)
    {
        var port = ToolProcess.FreePort();
        var directory = Path.Combine(Path.GetTempPath(), "slotengine-redisbench-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var setsid = ownSession ? Which("setsid") : null;
        var start = new ProcessStartInfo(setsid ?? "redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        var args = new List<string>
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
            "--daemonize", "no", "--save", string.Empty, "--appendonly", "no", "--protected-mode", "no",
            "--logfile", Path.Combine(directory, "redis.log"),
        };
        if (cluster)
        {
            args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(directory, "nodes.conf"),
                "--cluster-node-timeout", "5000", "--cluster-port", ToolProcess.FreePort().ToString(CultureInfo.InvariantCulture)]);
        }

        args.AddRange(extraArgs ?? []);
        if (setsid is not null)
        {
            // Not a process group leader (a child of this process), so setsid makes the session and execs in place.
            args.Insert(0, "redis-server");
        }

        args.ForEach(start.ArgumentList.Add);
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        var server = new RedisServerProcess(process, port, directory);
        var deadline = Stopwatch.StartNew();
        while (!(await server.CliAsync("PING").ConfigureAwait(false)).Contains("PONG", StringComparison.Ordinal))
        {
            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw new InvalidOperationException($"redis-server on port {port} did not answer PING (see {directory}/redis.log).");
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return server;
    }

    /// <summary>redis-cli against this server; returns standard output (and error).</summary>
    public Task<string> CliAsync(params string[] args) =>
        RunToolAsync("redis-cli", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), .. args], TimeSpan.FromSeconds(30));

    /// <summary>One field of <c>INFO</c> (e.g. <c>cmdstat_evalsha</c>'s calls), or null.</summary>
    public async Task<long> CommandCallsAsync(string command)
    {
        var info = await CliAsync("INFO", "commandstats").ConfigureAwait(false);
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("cmdstat_" + command + ":calls=", StringComparison.Ordinal))
            {
                var value = line[("cmdstat_".Length + command.Length + ":calls=".Length)..];
                return long.Parse(value[..value.IndexOf(',', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    public static async Task<string> RunToolAsync(string tool, IEnumerable<string> args, TimeSpan limit)
    {
        var start = new ProcessStartInfo(tool);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return (await ToolProcess.RunAsync(start, limit).ConfigureAwait(false)).Output;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a log file still being closed: leave it in /tmp
        }
    }

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool)).FirstOrDefault(File.Exists);
}
