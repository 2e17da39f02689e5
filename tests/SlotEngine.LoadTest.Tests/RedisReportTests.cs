using System.Text.Json;
using SlotEngine.LoadTest.Reports;
using SlotEngine.LoadTest.Run;
using Spectre.Console;

namespace SlotEngine.LoadTest.Tests;

/// <summary>The Redis figures of the load generator, against a real redis-server on a free loopback port.</summary>
public class RedisReportTests
{
    [Fact]
    public async Task A_warm_up_on_redis_books_on_every_node_and_the_recount_includes_it()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = Runs.SmallRedis(redis, nodes: 2) with { Warmup = TimeSpan.FromSeconds(3) };
        var result = await LoadRun.ExecuteAsync(settings, Runs.Quiet(), CancellationToken.None);
        Assert.NotNull(result);

        // It stops at its cap (100: one booking per 10 citizens), each worker at most one booking past it, so that a small
        // run's citizens are not used up before the measured load.
        Assert.InRange(result.Warmup.Bookings, 1, LoadRun.WarmupCap(settings) + settings.Concurrency);
        Assert.True(result.Stats.Bookings >= 400);
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Invariants.Violations);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(result.Stats.Bookings - result.Stats.Cancelled + result.Warmup.Bookings - result.Warmup.Cancelled, result.Invariants.LedgerBookings);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);
    }

    [Fact]
    public async Task Two_nodes_in_one_process_book_cleanly_and_the_json_has_the_redis_object()
    {
        await using var redis = await RedisServer.StartAsync();
        var result = await LoadRun.ExecuteAsync(Runs.SmallRedis(redis, nodes: 2), Runs.Quiet(), CancellationToken.None);
        Assert.NotNull(result);
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Invariants.Violations);
        Assert.True(result.Stats.Bookings >= 400);
        Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);

        var path = Path.Combine(Path.GetTempPath(), "slotengine-load-redis-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var r = json.RootElement.GetProperty("redis");
            Assert.Equal(2, r.GetProperty("nodes").GetInt32());

            // The client ran on the store's sockets (the generator's default, --redis-threads), and the report says so.
            Assert.Equal("store", json.RootElement.GetProperty("threads").GetProperty("redis_client_threads").GetString());
            Assert.Equal(1, r.GetProperty("shards").GetInt32());

            // A booking is at least a hold and a confirm: two script calls, counted by the store's meter.
            Assert.True(r.GetProperty("round_trips_per_booking").GetDouble() >= 2);
            // The claim and the confirm go by FCALL where the server has Redis Functions (FunctionLibrary), else by EVALSHA.
            var byCommand = r.GetProperty("round_trips_by_command");
            double Calls(string command) => byCommand.TryGetProperty(command, out var v) ? v.GetDouble() : 0;
            Assert.True(Calls("fcall") + Calls("evalsha") >= 2);

            // INFO commandstats counts the scripts' own commands as well, so it sees at least as many.
            Assert.True(r.GetProperty("server_commands_per_booking").GetDouble() >= r.GetProperty("round_trips_per_booking").GetDouble());
            Assert.True(r.GetProperty("server_cpu_us_per_booking").GetDouble() > 0);

            // Standalone: every change reaches both nodes' read models, so the feed lag was measured.
            var staleness = r.GetProperty("staleness_ms");
            Assert.True(staleness.GetProperty("samples").GetInt64() > 0);
            Assert.True(staleness.GetProperty("max").GetDouble() >= staleness.GetProperty("p50").GetDouble());
            // The store counts its reloads (slotengine.redis.read_model.reloads), so the figure is reported, not null.
            Assert.Equal(JsonValueKind.Number, r.GetProperty("reloads_per_booking").ValueKind);
            Assert.True(r.GetProperty("reloads_per_booking").GetDouble() >= 0);

            // Per-thread byte counters cannot split an async backend's bytes (GeneratorCost.BytesSplitHolds): null, and the
            // process's bytes per booking stand.
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("engine_allocated_bytes_per_booking").ValueKind);
            Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("generator_allocated_bytes_per_booking").ValueKind);
            Assert.True(json.RootElement.GetProperty("gc").GetProperty("allocated_bytes_per_booking").GetDouble() > 0);

            // Every live booking is on the one shard.
            var byShard = r.GetProperty("bookings_by_shard").EnumerateObject().ToList();
            var shard = Assert.Single(byShard);
            Assert.Equal(redis.Endpoint, shard.Name);
            Assert.Equal(result.Invariants.LedgerBookings, shard.Value.GetInt64());
        }
        finally
        {
            File.Delete(path);
        }

        var console = new StringWriter();
        ConsoleReport.Write(AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(console) }), result);
        Assert.Contains("redis round trips", console.ToString(), StringComparison.Ordinal);
        Assert.Contains("redis server cpu", console.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_load_processes_share_one_redis_each_with_its_own_citizens_and_recount()
    {
        await using var redis = await RedisServer.StartAsync();
        var runId = "t" + Guid.NewGuid().ToString("N")[..8];

        // Node 1 starts first and waits for node 0 to open the days.
        var node1 = LoadRun.ExecuteAsync(Runs.SmallRedis(redis) with { NodeId = 1, NodeCount = 2, RunId = runId }, Runs.Quiet(), CancellationToken.None);
        var node0 = LoadRun.ExecuteAsync(Runs.SmallRedis(redis) with { NodeId = 0, NodeCount = 2, RunId = runId }, Runs.Quiet(), CancellationToken.None);
        var results = await Task.WhenAll(node0, node1);
        foreach (var result in results)
        {
            Assert.NotNull(result);
            Assert.Equal(0, result.Invariants.DoubleBookings);
            Assert.True(result.Invariants.Violations == 0, "violations: " + string.Join(", ", result.Invariants.Problems.Select(p => p.Key + "=" + p.Value)));
            Assert.Equal(result.Invariants.LedgerBookings, result.Invariants.EngineBookedSeats);
            Assert.True(result.Stats.Bookings >= 400);
            Assert.Equal(2, result.Redis!.Process.Count);

            // No waitlist across processes: an offer is heard only by the process that freed the seat, which may not
            // have the wish's citizen, so no ledger would account for the offered seat.
            Assert.False(result.Waitlist.Enabled);
        }

        // Each saw the other's bookings on the calendars it recounted (the same country, the same days).
        Assert.True(results[0]!.Invariants.OtherNodesSeats + results[1]!.Invariants.OtherNodesSeats > 0);
        Assert.Contains(results[0]!.SetupSteps, s => s.Step == "days opened");
        Assert.DoesNotContain(results[1]!.SetupSteps, s => s.Step == "days opened");
        Assert.Contains(results[1]!.SetupSteps, s => s.Step == "read models warmed");

        // Node 0 counted every booked seat of the country against both processes' ledgers.
        var all = results[0]!.Invariants;
        Assert.Equal(results[0]!.Invariants.LedgerBookings + results[1]!.Invariants.LedgerBookings, all.AllProcessesLedgerBookings);
        Assert.Equal(all.AllProcessesLedgerBookings, all.AllProcessesEngineBookedSeats);
        Assert.Null(results[1]!.Invariants.AllProcessesEngineBookedSeats);
    }

    [Fact]
    public async Task On_a_three_primary_cluster_bookings_split_over_the_shards_that_own_their_calendars()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var settings = new LoadSettings
        {
            Backend = BackendKind.Redis,
            RedisConnection = cluster.ConnectionString,
            Providers = 150,
            DaysOpen = 2,
            BookingsTarget = 300,
            Duration = null,
            Concurrency = 8,
            Citizens = 1_000,
            Nodes = 2,
        };
        var result = await LoadRun.ExecuteAsync(settings, Runs.Quiet(), CancellationToken.None);
        Assert.NotNull(result);
        Assert.Equal(0, result.Invariants.DoubleBookings);
        Assert.Equal(0, result.Invariants.Violations);
        var redis = result.Redis!;
        Assert.Equal(3, redis.Shards);
        Assert.Equal(cluster.Nodes.Select(n => n.Endpoint).Order(StringComparer.Ordinal), redis.BookingsByShard.Keys);
        Assert.Equal(result.Invariants.LedgerBookings, redis.BookingsByShard.Values.Sum());

        // 300 bookings over 300 calendars hashed to three shards: each shard has some.
        Assert.All(redis.BookingsByShard.Values, n => Assert.True(n > 0));
        Assert.True(redis.ServerCommandsByCommand.ContainsKey("spublish")); // the cluster's feed: shard channels

        // Both reports show the split: the JSON's shards and bookings_by_shard, the console's "nodes and shards" row.
        var path = Path.Combine(Path.GetTempPath(), "slotengine-load-cluster-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            JsonReport.Write(path, result);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var r = json.RootElement.GetProperty("redis");
            Assert.Equal(3, r.GetProperty("shards").GetInt32());
            var byShard = r.GetProperty("bookings_by_shard").EnumerateObject().ToDictionary(s => s.Name, s => s.Value.GetInt64());
            Assert.Equal(redis.BookingsByShard, byShard);
        }
        finally
        {
            File.Delete(path);
        }

        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(console) });
        ansi.Profile.Width = 400; // the row on one line
        ConsoleReport.Write(ansi, result);
        var text = console.ToString();
        Assert.Contains("3 shards, bookings by shard:", text, StringComparison.Ordinal);
        Assert.All(redis.BookingsByShard, s => Assert.Contains(s.Key + " " + s.Value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), text, StringComparison.Ordinal));
    }

    [Fact]
    public void Info_replies_parse_into_cpu_seconds_and_calls_by_command()
    {
        const string Cpu = "# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\nused_cpu_sys_children:9.0\r\nused_cpu_sys_main_thread:1.0\r\n";
        Assert.Equal(3.75, RedisServerStats.ParseCpuSeconds(Cpu), 6);

        const string Commands = "# Commandstats\r\ncmdstat_evalsha:calls=120,usec=900,usec_per_call=7.50,rejected_calls=0,failed_calls=0\r\n" +
            "cmdstat_client|setname:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\ncmdstat_info:calls=7,usec=1,usec_per_call=0.1\r\n";
        var calls = RedisServerStats.ParseCommandStats(Commands);
        Assert.Equal(120, calls["evalsha"]);
        Assert.Equal(2, calls["client|setname"]);
        Assert.Equal(7, calls["info"]);
    }

    [Fact]
    public void The_delta_sums_primaries_and_leaves_out_the_tools_own_info_calls()
    {
        ShardSample Sample(string endpoint, long evalsha, long info) =>
            new(endpoint, 0, new Dictionary<string, long> { ["evalsha"] = evalsha, ["info"] = info });
        var before = new[] { Sample("a:1", 10, 1), Sample("b:2", 5, 1) };
        var after = new[] { Sample("a:1", 30, 3), Sample("b:2", 15, 3) };
        var delta = RedisRunProbe.Delta(before, after);
        Assert.Equal(30, delta["evalsha"]);
        Assert.False(delta.ContainsKey("info"));
    }
}
