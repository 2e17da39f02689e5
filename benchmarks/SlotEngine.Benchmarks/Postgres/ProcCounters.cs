using System.Diagnostics;
using System.Globalization;

namespace SlotEngine.Benchmarks.Postgres;

/// <summary>
/// Transport counters of one contender: TCP segments with data sent by the client's and by the server's ends of the
/// server's loopback connections (<c>data_segs_out</c> of <c>ss -tin</c>: on loopback with <c>TCP_NODELAY</c> a small
/// <c>send</c> is one segment, so these are the socket writes that carried requests and replies), and the context
/// switches of the server's threads (<c>voluntary_ctxt_switches</c> + <c>nonvoluntary_ctxt_switches</c> of every thread in
/// <c>/proc/&lt;pid&gt;/task</c>) and of this process's. Zero where <c>ss</c> or <c>/proc</c> are not there. Connections
/// closed between two samples are not counted (both servers keep theirs open for the run).
/// </summary>
/// <remarks>Also the kernel's share of the CPU (system time: system calls, the loopback TCP stack, scheduling) of this process and of the server's processes, in microseconds.</remarks>
internal readonly record struct ProcCounters(long ClientSegments, long ServerSegments, long ClientSwitches, long ServerSwitches, double ClientSystemMicros, double ServerSystemMicros)
{
    public static ProcCounters operator -(ProcCounters a, ProcCounters b) =>
        new(a.ClientSegments - b.ClientSegments, a.ServerSegments - b.ServerSegments, a.ClientSwitches - b.ClientSwitches, a.ServerSwitches - b.ServerSwitches,
            a.ClientSystemMicros - b.ClientSystemMicros, a.ServerSystemMicros - b.ServerSystemMicros);

    /// <summary>The segments of every established connection to <paramref name="port"/>, this process's switches and those of <paramref name="serverPids"/>.</summary>
    public static ProcCounters Sample(int port, IEnumerable<int> serverPids)
    {
        var (client, server) = Segments(port);
        var pids = serverPids.ToArray();
        return new ProcCounters(client, server, Switches(Environment.ProcessId), pids.Sum(Switches),
            Process.GetCurrentProcess().PrivilegedProcessorTime.TotalMicroseconds, pids.Sum(SystemMicros));
    }

    /// <summary>System CPU of <paramref name="pid"/> (<c>stime</c> of <c>/proc/&lt;pid&gt;/stat</c>, in USER_HZ = 100 per second), in microseconds; 0 if it is gone.</summary>
    public static double SystemMicros(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[12], CultureInfo.InvariantCulture) * 10_000.0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Context switches of every thread of <paramref name="pid"/> (0 if it is gone).</summary>
    public static long Switches(int pid)
    {
        long switches = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            switches += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                        }
                    }
                }
                catch (IOException)
                {
                    // the thread ended while we looked
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return switches;
    }

    /// <summary>Data segments sent by the client ends (peer port = <paramref name="port"/>) and the server ends (local port = <paramref name="port"/>).</summary>
    private static (long Client, long Server) Segments(int port)
    {
        string output;
        try
        {
            var start = new ProcessStartInfo("ss") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "-tinH", "state", "established" })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (0, 0);
        }

        long client = 0, server = 0;
        var suffix = ":" + port.ToString(CultureInfo.InvariantCulture);
        var lines = output.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            // "recv-q send-q local peer" then an indented line of TCP info.
            var fields = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4 || char.IsWhiteSpace(lines[i], 0))
            {
                continue;
            }

            var local = fields[2].EndsWith(suffix, StringComparison.Ordinal);
            var peer = fields[3].EndsWith(suffix, StringComparison.Ordinal);
            if (!local && !peer)
            {
                continue;
            }

            var info = lines[i + 1];
            var at = info.IndexOf(" data_segs_out:", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            at += " data_segs_out:".Length;
            var end = at;
            while (end < info.Length && char.IsAsciiDigit(info[end]))
            {
                end++;
            }

            var segments = long.Parse(info.AsSpan(at, end - at), CultureInfo.InvariantCulture);
            if (local)
            {
                server += segments;
            }
            else
            {
                client += segments;
            }
        }

        return (client, server);
    }
}
