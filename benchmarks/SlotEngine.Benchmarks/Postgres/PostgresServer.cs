using System.Diagnostics;
using System.Globalization;
using SlotEngine.Benchmarks.Infrastructure;

namespace SlotEngine.Benchmarks.Postgres;

/// <summary>
/// A PostgreSQL 15 server of the benchmark's own, from Debian's <c>postgresql</c> package: a fresh
/// cluster (<c>initdb</c>) in a temporary directory, listening on 127.0.0.1 on a free port and on a
/// Unix socket inside that directory, trust authentication, stopped (<c>pg_ctl stop -m fast</c>) and
/// deleted on dispose.
/// </summary>
/// <remarks>
/// PostgreSQL refuses to run as root, so as root every server command runs as the <c>postgres</c>
/// system user (which the Debian package creates) through <c>runuser -u postgres --</c>, and the
/// directory is given to that user. Durable by default (<c>fsync</c> on, <c>synchronous_commit</c> on);
/// the <c>synchronous_commit=off</c> runs set it per connection. The directory is under
/// <see cref="Path.GetTempPath"/>; the report names its file system, since "durable" means a flush to it.
/// </remarks>
internal sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Where Debian's postgresql-15 puts its server binaries when <c>pg_config</c> is absent.</summary>
    private const string DebianBinaries = "/usr/lib/postgresql/15/bin";

    /// <summary><c>/proc/&lt;pid&gt;/stat</c> counts CPU in USER_HZ, which Linux fixes at 100 per second for user space.</summary>
    private const double TicksPerSecond = 100;

    private readonly string _bin;
    private readonly bool _asPostgresUser;
    private readonly int _postmasterPid;
    private readonly Process? _postmaster;

    private PostgresServer(string bin, bool asPostgresUser, string directory, int port, int postmasterPid, Process? postmaster)
    {
        _postmaster = postmaster;
        _bin = bin;
        _asPostgresUser = asPostgresUser;
        Directory = directory;
        Port = port;
        _postmasterPid = postmasterPid;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The server binaries' folder (<c>pg_config --bindir</c>, else Debian's), or null when initdb, pg_ctl and postgres are not all there.</summary>
    public static string? FindBinaries()
    {
        var candidates = new List<string>();
        try
        {
            var bindir = RunAsync("pg_config", ["--bindir"], asPostgresUser: false, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult().Output.Trim();
            if (bindir.Length > 0)
            {
                candidates.Add(bindir);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no pg_config on the PATH
        }

        candidates.Add(DebianBinaries);
        return candidates.FirstOrDefault(dir => new[] { "initdb", "pg_ctl", "postgres" }.All(t => File.Exists(Path.Combine(dir, t))));
    }

    /// <summary>initdb, then starts the server and waits until it accepts connections.</summary>
    /// <param name="bin">The server binaries' folder.</param>
    /// <param name="maxConnections">Connections the benchmark opens (10 more are allowed).</param>
    /// <param name="ownSession">
    /// Start with <c>pg_ctl start</c>, which puts the postmaster in a session of its own (<c>setsid</c>). By default the
    /// postmaster is instead a child of this process (<c>setpriv</c> to the <c>postgres</c> user when root, which runs it in
    /// place), in the benchmark's session like the benchmark's redis-server: under autogroup scheduling a process in another
    /// session waits for that session's turn on every wake-up, which on a loaded machine costs a server 2-3× in
    /// bookings/s (measured on redis-server, docs/redis.md). Both servers are placed alike.
    /// </param>
    public static async Task<PostgresServer> StartAsync(string bin, int maxConnections, bool ownSession = false)
    {
        var asPostgresUser = Environment.UserName == "root";
        var directory = Path.Combine(Path.GetTempPath(), "slotengine-pgbench-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        if (asPostgresUser)
        {
            await CheckAsync(RunAsync("chown", ["postgres:postgres", directory], asPostgresUser: false, TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        }

        var data = Path.Combine(directory, "data");
        await CheckAsync(RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"], asPostgresUser, TimeSpan.FromMinutes(2))).ConfigureAwait(false);
        var port = ToolProcess.FreePort();
        string[] settings =
        [
            $"port = {port}",
            "listen_addresses = '127.0.0.1'",
            $"unix_socket_directories = '{directory}'",
            $"max_connections = {maxConnections + 10}",
            "shared_buffers = 512MB",
            "max_wal_size = 4GB",          // no checkpoint forced by WAL volume during a measured run
            "checkpoint_timeout = 30min",
            "fsync = on",
            "synchronous_commit = on",
            "full_page_writes = on",
            "autovacuum = off",            // the runs are short and the tables freshly loaded; no vacuum worker competes for the 2 cores
            "logging_collector = off",
        ];
        await File.AppendAllLinesAsync(Path.Combine(data, "postgresql.conf"), settings).ConfigureAwait(false);
        var log = Path.Combine(directory, "server.log");
        Process? postmaster = null;
        if (ownSession)
        {
            var start = await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", log, "-w", "-t", "60", "start"], asPostgresUser, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
            if (start.ExitCode != 0)
            {
                throw new InvalidOperationException($"pg_ctl start failed ({start.ExitCode}): {start.Output} (see {log})");
            }
        }
        else
        {
            // sh execs postgres with its output in the log; setpriv changes user and execs in place (no new session).
            var run = new ProcessStartInfo(asPostgresUser ? "setpriv" : "/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
            var args = asPostgresUser ? new List<string> { "--reuid=postgres", "--regid=postgres", "--init-groups", "--", "/bin/sh" } : [];
            args.AddRange(["-c", "exec \"$0\" -D \"$1\" >> \"$2\" 2>&1", Path.Combine(bin, "postgres"), data, log]);
            args.ForEach(run.ArgumentList.Add);
            postmaster = Process.Start(run) ?? throw new InvalidOperationException("postgres did not start.");
            var waited = Stopwatch.StartNew();
            while ((await RunAsync(Path.Combine(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "1"], asPostgresUser: false, TimeSpan.FromSeconds(10)).ConfigureAwait(false)).ExitCode != 0)
            {
                if (postmaster.HasExited || waited.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new InvalidOperationException($"postgres did not accept connections (see {log}).");
                }

                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        var pidLine = (await File.ReadAllLinesAsync(Path.Combine(data, "postmaster.pid")).ConfigureAwait(false))[0];
        return new PostgresServer(bin, asPostgresUser, directory, port, int.Parse(pidLine, CultureInfo.InvariantCulture), postmaster);
    }

    /// <summary>An Npgsql connection string for this server (TCP on loopback).</summary>
    public string ConnectionString(int poolSize, bool synchronousCommit) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Minimum Pool Size={poolSize};Maximum Pool Size={poolSize};" +
        $"Max Auto Prepare=32;Auto Prepare Min Usages=2;No Reset On Close=true;Options=-c synchronous_commit={(synchronousCommit ? "on" : "off")}";

    /// <summary>CPU seconds (user + system) of the postmaster and every process it started, with the children it has reaped.</summary>
    public double CpuSeconds()
    {
        long ticks = 0;
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue; // the process ended while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // Fields after the command name (which may hold spaces, so split after its closing parenthesis):
            // [0] state, [1] ppid, … [11] utime, [12] stime, [13] cutime, [14] cstime.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ppid = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid == _postmasterPid)
            {
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                       + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
            else if (ppid == _postmasterPid)
            {
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>Transport counters of the connections to this server, with the context switches of the postmaster and every process it started.</summary>
    public ProcCounters Counters()
    {
        var pids = new List<int> { _postmasterPid };
        foreach (var dir in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == _postmasterPid)
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture) == _postmasterPid)
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended while we looked
            }
        }

        return ProcCounters.Sample(Port, pids);
    }

    /// <summary>The server's version line (<c>postgres --version</c>).</summary>
    public string Version() => RunAsync(Path.Combine(_bin, "postgres"), ["--version"], asPostgresUser: false, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult().Output.Trim();

    public async ValueTask DisposeAsync()
    {
        await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(Directory, "data"), "-m", "fast", "-w", "stop"], _asPostgresUser, TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        if (_postmaster is not null)
        {
            await _postmaster.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
            _postmaster.Dispose();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still being closed: leave it in the temp folder
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task CheckAsync(Task<(int ExitCode, string Output)> run)
    {
        var (code, output) = await run.ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"exit code {code}: {output}");
        }
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string tool, IEnumerable<string> args, bool asPostgresUser, TimeSpan limit)
    {
        var start = asPostgresUser
            ? new ProcessStartInfo("runuser") { ArgumentList = { "-u", "postgres", "--", tool } }
            : new ProcessStartInfo(tool);
        start.WorkingDirectory = Path.GetTempPath(); // the postgres user must be able to enter it
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return ToolProcess.RunAsync(start, limit);
    }
}
