using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SlotEngine.Redis;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// <c>--redis [--claims N]</c>: the Redis benchmarks of issue 3, in one run against redis-server
/// processes started here on free loopback ports (no persistence) and stopped at the end. Prints a
/// markdown table: SlotEngine.Redis claims with 64 in flight against redis-benchmark running the
/// store's own claim script with <c>-P 16</c>; one claim at a time against <c>redis-benchmark -c 1</c>;
/// StackExchange.Redis 3.4.35 <c>SET NX</c> (+ <c>DEL</c>) as the peer; bytes allocated per claim by the engine and by
/// the client alone; bookings with <c>WaitForReplicas</c> 1 against 0 with a replica running; a three-primary local
/// cluster against the one primary. Not BenchmarkDotNet: bounded closed loops (see <see cref="ClosedLoop"/>).
/// </summary>
internal static class RedisReport
{
    private const int InFlight = 64;
    private const int FloorRequests = 100_000;
    private const int SingleClaims = 2_400;

    public static async Task<int> RunAsync(string[] args)
    {
        if (!RedisServerProcess.ToolsPresent())
        {
            Console.Error.WriteLine("--redis needs redis-server, redis-cli and redis-benchmark on the PATH (apt-get install -y redis-server).");
            return 2;
        }

        var claims = ReadClaims(args);
        var calendars = claims / EngineWorkload.SlotsPerDay;
        var rows = new List<Row>();
        var notes = new List<string>();
        var clock = Stopwatch.StartNew();
        var loadAtStart = File.ReadAllText("/proc/loadavg").Split(' ')[0];

        await using (var server = await RedisServerProcess.StartAsync().ConfigureAwait(false))
        {
            await StandaloneAsync(server, claims, calendars, rows, notes).ConfigureAwait(false);
        }

        await using (var primary = await RedisServerProcess.StartAsync().ConfigureAwait(false))
        await using (var replica = await RedisServerProcess.StartAsync().ConfigureAwait(false))
        {
            await DurableAsync(primary, replica, claims / 4, rows, notes).ConfigureAwait(false);
        }

        await using (var cluster = await LocalCluster.StartAsync(3).ConfigureAwait(false))
        {
            await ClusterAsync(cluster, claims, calendars, rows, notes).ConfigureAwait(false);
        }

        Print(rows, notes, claims, clock.Elapsed, loadAtStart, File.ReadAllText("/proc/loadavg").Split(' ')[0]);
        return 0;
    }

    private static async Task StandaloneAsync(RedisServerProcess server, int claims, int calendars, List<Row> rows, List<string> notes)
    {
        // Provider ranges: 0 the floor's calendar; warm-up; then one fresh range per measured run.
        const int warm = 100, engineRun = 1_000, transportRun = 10_000, pairRun = 19_000, single = 20_000, singleTransport = 20_100;
        var pairCalendars = Math.Max(1, calendars / 10);
        var pairs = claims / 4;
        await using var workload = await EngineWorkload.ConnectAsync(server.Endpoint, 21_000, cluster: false).ConfigureAwait(false);
        var floor = new FloorCommand(workload, 0);
        await floor.PrepareAsync(server).ConfigureAwait(false);
        await workload.PublishAsync(warm, 100).ConfigureAwait(false);
        await workload.PublishAsync(engineRun, calendars).ConfigureAwait(false);
        await workload.PublishAsync(transportRun, calendars).ConfigureAwait(false);
        await workload.PublishAsync(pairRun, pairCalendars).ConfigureAwait(false);
        await workload.PublishAsync(single, SingleClaims / EngineWorkload.SlotsPerDay).ConfigureAwait(false);
        await workload.PublishAsync(singleTransport, SingleClaims / EngineWorkload.SlotsPerDay).ConfigureAwait(false);
        using var peer = new StackExchangePeer(server.Endpoint, workload.Day);

        // Warm-up (JIT, connections, pools): 2,400 claims each way, on calendars no measured run uses.
        await ClosedLoop.RunAsync(2_400, InFlight, workload.ClaimOnly(warm, 50)).ConfigureAwait(false);
        await ClosedLoop.RunAsync(2_400, InFlight, workload.TransportClaimOnly(warm + 50, 50)).ConfigureAwait(false);
        await ClosedLoop.RunAsync(2_400, InFlight, peer.ClaimRelease(warm, 50)).ConfigureAwait(false);

        var (floorRow, _) = await FloorAsync(server, floor, slot: 10, clients: 4, pipeline: 16, "redis-benchmark EVALSHA claim, -c 4 -P 16 (64 in flight)").ConfigureAwait(false);
        rows.Add(floorRow);

        // Script calls: EVALSHA, or FCALL where the store calls the function library (FunctionLibrary).
        var evalBefore = await server.CommandCallsAsync("evalsha").ConfigureAwait(false) + await server.CommandCallsAsync("fcall").ConfigureAwait(false);
        var reloadsBefore = workload.Reloads;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var engine = await ClosedLoop.RunAsync(claims, InFlight, workload.ClaimOnly(engineRun, calendars)).ConfigureAwait(false);
        var engineCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / claims;
        var engineBytes = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)claims;
        var evalPerClaim = (await server.CommandCallsAsync("evalsha").ConfigureAwait(false) + await server.CommandCallsAsync("fcall").ConfigureAwait(false) - evalBefore) / (double)claims;
        var reloadsPerClaim = (workload.Reloads - reloadsBefore) / (double)claims;
        rows.Add(Row.Of("SlotEngine.Redis ClaimAsync (book 1 slot), claim-only", InFlight, engine, floorRow.PerSecond,
            $"{evalPerClaim:0.00} script calls (EVALSHA or FCALL) and {reloadsPerClaim:0.00} read-model reloads per claim; {engineBytes:N0} B allocated per claim (whole process)"));

        allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var transport = await ClosedLoop.RunAsync(claims, InFlight, workload.TransportClaimOnly(transportRun, calendars)).ConfigureAwait(false);
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / claims;
        var clientBytes = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)claims;
        rows.Add(Row.Of("StackExchange.Redis 3.4.35 alone: ScriptEvaluateAsync(claim SHA-1)", InFlight, transport, floorRow.PerSecond,
            $"same keys and args, no engine around it; {clientBytes:N0} B allocated per call (whole process)"));
        notes.Add($"allocated per claim, whole process, 64 in flight: engine {engineBytes:N0} B, the client alone {clientBytes:N0} B, so the engine around the client {engineBytes - clientBytes:N0} B (GC.GetTotalAllocatedBytes deltas)");
        notes.Add($"this process's CPU per claim, 64 in flight: engine {engineCpu:0.0} µs, the client alone {clientCpu:0.0} µs (Process.TotalProcessorTime deltas; steadier than ops/s on a loaded machine)");

        rows.Add((await FloorAsync(server, floor, slot: 11, clients: 64, pipeline: 16, "redis-benchmark EVALSHA claim, -c 64 -P 16 (1,024 in flight)").ConfigureAwait(false)).Row);

        var setNx = await ClosedLoop.RunAsync(claims, InFlight, peer.ClaimOnly(engineRun, calendars)).ConfigureAwait(false);
        rows.Add(Row.Of("peer: StackExchange.Redis 3.4.35 SET key owner NX", InFlight, setNx, floorRow.PerSecond, "one key per slot; no token, no feed, no read model"));

        var enginePairs = await ClosedLoop.RunAsync(pairs, InFlight, workload.ClaimRelease(pairRun, pairCalendars)).ConfigureAwait(false);
        rows.Add(Row.Of("SlotEngine.Redis ClaimAsync + ReleaseAsync (pairs/s)", InFlight, enginePairs, null, "2 scripts per pair"));
        var peerPairs = await ClosedLoop.RunAsync(pairs, InFlight, peer.ClaimRelease(pairRun, pairCalendars)).ConfigureAwait(false);
        rows.Add(Row.Of("peer: SET NX + DEL (pairs/s)", InFlight, peerPairs, null, "2 commands per pair"));

        rows.Add((await FloorAsync(server, floor, slot: 12, clients: 4, pipeline: 16, "redis-benchmark EVALSHA claim, -c 4 -P 16, again (drift)").ConfigureAwait(false)).Row);

        var (floorSingleRow, floorSingle) = await FloorAsync(server, floor, slot: 13, clients: 1, pipeline: 1, "redis-benchmark EVALSHA claim, -c 1 (no pipelining)", SingleClaims).ConfigureAwait(false);
        rows.Add(floorSingleRow);
        var engineSingle = await ClosedLoop.RunAsync(SingleClaims, 1, workload.ClaimOnly(single, SingleClaims / EngineWorkload.SlotsPerDay)).ConfigureAwait(false);
        rows.Add(Row.Of("SlotEngine.Redis ClaimAsync, one at a time", 1, engineSingle, floorSingle.PerSecond, Overhead(engineSingle, floorSingle)));
        var transportSingle = await ClosedLoop.RunAsync(SingleClaims, 1, workload.TransportClaimOnly(singleTransport, SingleClaims / EngineWorkload.SlotsPerDay)).ConfigureAwait(false);
        rows.Add(Row.Of("StackExchange.Redis alone, one at a time", 1, transportSingle, floorSingle.PerSecond, Overhead(transportSingle, floorSingle)));
        notes.Add($"one primary: redis-server {Version()} on {server.Endpoint}");
    }

    private static async Task ClusterAsync(LocalCluster cluster, int claims, int calendars, List<Row> rows, List<string> notes)
    {
        const int warm = 100, engineRun = 1_000, transportRun = 10_000;
        await using var workload = await EngineWorkload.ConnectAsync(cluster.ConnectionString, 11_000, cluster: true).ConfigureAwait(false);
        await workload.PublishAsync(warm, 100).ConfigureAwait(false);
        await workload.PublishAsync(engineRun, calendars).ConfigureAwait(false);
        await workload.PublishAsync(transportRun, calendars).ConfigureAwait(false);
        await ClosedLoop.RunAsync(2_400, InFlight, workload.ClaimOnly(warm, 50)).ConfigureAwait(false);
        await ClosedLoop.RunAsync(2_400, InFlight, workload.TransportClaimOnly(warm + 50, 50)).ConfigureAwait(false);

        // Script calls: EVALSHA, or FCALL where the store calls the function library (FunctionLibrary).
        var evalBefore = await cluster.CommandCallsAsync("evalsha").ConfigureAwait(false) + await cluster.CommandCallsAsync("fcall").ConfigureAwait(false);
        var engine = await ClosedLoop.RunAsync(claims, InFlight, workload.ClaimOnly(engineRun, calendars)).ConfigureAwait(false);
        var evalPerClaim = (await cluster.CommandCallsAsync("evalsha").ConfigureAwait(false) + await cluster.CommandCallsAsync("fcall").ConfigureAwait(false) - evalBefore) / (double)claims;
        var oneNode = rows.First(r => r.Name.StartsWith("SlotEngine.Redis ClaimAsync (book", StringComparison.Ordinal));
        rows.Add(Row.Of("cluster of 3 primaries: SlotEngine.Redis ClaimAsync, claim-only", InFlight, engine, null,
            $"{engine.PerSecond / oneNode.PerSecond:0.00}× the one primary; {evalPerClaim:0.00} script calls (EVALSHA or FCALL) per claim"));
        var transport = await ClosedLoop.RunAsync(claims, InFlight, workload.TransportClaimOnly(transportRun, calendars)).ConfigureAwait(false);
        var oneNodeTransport = rows.First(r => r.Name.StartsWith("StackExchange.Redis 3.4.35 alone: ", StringComparison.Ordinal));
        rows.Add(Row.Of("cluster of 3 primaries: StackExchange.Redis alone, claim script", InFlight, transport, null,
            $"{transport.PerSecond / oneNodeTransport.PerSecond:0.00}× the one primary"));
        notes.Add("cluster: " + cluster.ConnectionString + " (redis-cli --cluster create … --cluster-replicas 0)");
    }

    /// <summary>
    /// Bookings with <c>WaitForReplicas</c> 1 (each claim script and its <c>WAIT</c> on a durable connection of the
    /// store's own) against 0, with a replica connected; and holds (no WAIT) running beside the durable bookings, to
    /// show the WAITs do not stall the shared connection.
    /// </summary>
    private static async Task DurableAsync(RedisServerProcess primary, RedisServerProcess replica, int claims, List<Row> rows, List<string> notes)
    {
        await replica.CliAsync("REPLICAOF", "127.0.0.1", primary.Port.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        for (var i = 0; i < 500 && !(await replica.CliAsync("INFO", "replication").ConfigureAwait(false)).Contains("master_link_status:up", StringComparison.Ordinal); i++)
        {
            await Task.Delay(20).ConfigureAwait(false); // polling the replica's link, bounded
        }

        var calendars = Math.Max(1, claims / EngineWorkload.SlotsPerDay);
        await using var plain = await EngineWorkload.ConnectAsync(primary.Endpoint, 4_000, cluster: false).ConfigureAwait(false);
        // Its own key prefix: neither node hears the other's change feed (no reloads of the other's claims).
        await using var durable = await EngineWorkload.ConnectAsync(primary.Endpoint, 4_000, cluster: false, waitForReplicas: 1, prefix: "sd:").ConfigureAwait(false);
        await plain.PublishAsync(0, 3 * calendars + 100).ConfigureAwait(false);
        await durable.PublishAsync(0, 3 * calendars + 100).ConfigureAwait(false);
        await ClosedLoop.RunAsync(2_400, InFlight, plain.ClaimOnly(3 * calendars, 50)).ConfigureAwait(false);
        await ClosedLoop.RunAsync(2_400, InFlight, durable.ClaimOnly(3 * calendars + 50, 50)).ConfigureAwait(false);

        var zero = await ClosedLoop.RunAsync(claims, InFlight, plain.ClaimOnly(0, calendars)).ConfigureAwait(false);
        rows.Add(Row.Of("with a replica: ClaimAsync, WaitForReplicas = 0", InFlight, zero, null, "no WAIT"));
        var one = await ClosedLoop.RunAsync(claims, InFlight, durable.ClaimOnly(0, calendars)).ConfigureAwait(false);
        rows.Add(Row.Of("with a replica: ClaimAsync, WaitForReplicas = 1", InFlight, one, null,
            $"{one.PerSecond / zero.PerSecond:0.00}× WaitForReplicas = 0; script + WAIT on {new RedisSlotEngineOptions().DurableConnections} durable connections"));
        notes.Add($"with a replica: redis-server {primary.Endpoint} replicated to {replica.Endpoint} (REPLICAOF), loopback");
    }

    private static async Task<(Row Row, LoadResult Result)> FloorAsync(RedisServerProcess server, FloorCommand floor, int slot, int clients, int pipeline, string name, int requests = FloorRequests)
    {
        var before = await floor.BookingsAsync(server).ConfigureAwait(false);
        var result = await RedisBenchmarkTool.RunAsync(server.Port, requests, clients, pipeline, FloorCommand.Copies, floor.Command(slot)).ConfigureAwait(false);
        var booked = (await floor.BookingsAsync(server).ConfigureAwait(false) - before) / (double)requests;
        return (Row.Of(name, clients * pipeline, result, null, $"{booked:P1} of requests booked (the rest met a copy booked earlier: 'closed')", isFloor: true), result);
    }

    /// <summary>Client time beyond redis-benchmark's bare round trip, by median (robust to the shared machine's stalls) and by mean.</summary>
    private static string Overhead(LoadResult client, LoadResult floor) =>
        $"client overhead by p50 {(client.P50Ms - floor.P50Ms) * 1000:0} µs = {(client.P50Ms - floor.P50Ms) / floor.P50Ms:P0} of the bare round trip; " +
        $"by mean {(client.MeanMs - floor.MeanMs) * 1000:0} µs = {(client.MeanMs - floor.MeanMs) / floor.MeanMs:P0} (means {client.MeanMs * 1000:0} vs {floor.MeanMs * 1000:0} µs)";

    private static void Print(List<Row> rows, List<string> notes, int claims, TimeSpan took, string loadAtStart, string loadAtEnd)
    {
        Console.WriteLine($"SlotEngine.Redis benchmarks: {claims:N0} claims per 64-in-flight run, floor {FloorRequests:N0} requests per redis-benchmark run");
        Console.WriteLine($"machine: nproc {Environment.ProcessorCount}, {CpuModel()}, .NET {RuntimeInformation.FrameworkDescription}, redis-server {Version()}");
        Console.WriteLine($"load average {loadAtStart} at start, {loadAtEnd} at end; whole run {took.TotalSeconds:0} s");
        Console.WriteLine();
        Console.WriteLine("| run | in flight | ops/s | × floor | p50 ms | p99 ms | notes |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var row in rows)
        {
            Console.WriteLine($"| {row.Name} | {row.InFlight} | {row.PerSecond:N0} | {(row.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : row.IsFloor ? "floor" : "")} | {row.P50:0.000} | {row.P99:0.000} | {row.Note} |");
        }

        Console.WriteLine();
        foreach (var note in notes)
        {
            Console.WriteLine("- " + note);
        }

        foreach (var line in RedisBenchmarkTool.CommandLines)
        {
            Console.WriteLine("- `" + line + "`");
        }
    }

    private static int ReadClaims(string[] args)
    {
        var at = Array.IndexOf(args, "--claims");
        var claims = at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 48_000;
        return Math.Max(EngineWorkload.SlotsPerDay, claims / EngineWorkload.SlotsPerDay * EngineWorkload.SlotsPerDay);
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static string Version()
    {
        var text = RedisServerProcess.RunToolAsync("redis-server", ["--version"], TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        var v = text.IndexOf("v=", StringComparison.Ordinal);
        return v < 0 ? text.Trim() : text[(v + 2)..].Split(' ')[0];
    }

    private sealed record Row(string Name, int InFlight, double PerSecond, double? Ratio, double P50, double P99, string Note, bool IsFloor)
    {
        public static Row Of(string name, int inFlight, LoadResult result, double? floorPerSecond, string note, bool isFloor = false) =>
            new(name, inFlight, result.PerSecond, floorPerSecond is { } f ? result.PerSecond / f : null, result.P50Ms, result.P99Ms, note, isFloor);
    }
}
