using SlotEngine.LoadTest.Cli;

namespace SlotEngine.LoadTest.Tests;

public class LoadCommandTests
{
    private static (LoadSettings? Settings, List<string> Errors) Bind(params string[] args)
    {
        var command = new LoadCommand();
        var parse = command.Root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            return (null, parse.Errors.Select(e => e.Message).ToList());
        }

        var settings = command.Bind(parse, out var errors);
        return (settings, errors);
    }

    [Fact]
    public void No_arguments_is_the_nationwide_default_with_a_time_limit()
    {
        var (settings, errors) = Bind();
        Assert.Empty(errors);
        Assert.NotNull(settings);
        Assert.Equal(150_000, settings.Providers);
        Assert.Equal(15, settings.DaysOpen);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.SlotLength);
        Assert.Equal(LoadSettings.MhrsDay, settings.BookingsTarget);
        Assert.Equal(LoadSettings.DefaultTimeLimit, settings.Duration);
        Assert.Equal(BackendKind.Memory, settings.Backend);
        Assert.Null(settings.Rate);
    }

    [Fact]
    public void A_bookings_target_alone_runs_to_the_target()
    {
        var (settings, _) = Bind("--providers", "2000", "--bookings", "20000", "--json", Path.Combine(Path.GetTempPath(), "x.json"));
        Assert.NotNull(settings);
        Assert.Equal(20_000, settings.BookingsTarget);
        Assert.Null(settings.Duration);
        Assert.Equal(12_000, settings.Citizens);
    }

    [Fact]
    public void A_duration_alone_runs_for_that_long()
    {
        var (settings, _) = Bind("--duration", "2m", "--rate", "5000", "-c", "8");
        Assert.NotNull(settings);
        Assert.Null(settings.BookingsTarget);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Duration);
        Assert.Equal(5000, settings.Rate);
        Assert.Equal(8, settings.Concurrency);
    }

    [Fact]
    public void The_page_goes_beside_the_json_unless_placed_elsewhere()
    {
        var json = Path.Combine(Path.GetTempPath(), "run.json");
        Assert.Equal(Path.Combine(Path.GetTempPath(), "run.html"), Bind("--json", json).Settings!.HtmlPath);
        var page = Path.Combine(Path.GetTempPath(), "page.html");
        Assert.Equal(page, Bind("--json", json, "--html", page).Settings!.HtmlPath);
        var alone = Bind("--html", page).Settings!;
        Assert.Equal(page, alone.HtmlPath);
        Assert.Null(alone.JsonPath);
        Assert.Null(Bind().Settings!.HtmlPath);
        Assert.Contains(Bind("--html", "/no/such/folder/page.html").Errors, e => e.Contains("--html", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--providers", "10")]
    [InlineData("--days", "0")]
    [InlineData("--slot-minutes", "3")]
    [InlineData("--duration", "soon")]
    [InlineData("--duration", "-5s")]
    [InlineData("--bookings", "0")]
    [InlineData("--concurrency", "0")]
    [InlineData("--rate", "-1")]
    [InlineData("--rush-share", "1.5")]
    [InlineData("--backend", "postgres")]
    [InlineData("--backend", "redis")]
    [InlineData("--redis", "localhost:6379")]
    [InlineData("--redis-threads", "spinning")]
    [InlineData("--providers", "many")]
    [InlineData("--no-such-option", "1")]
    [InlineData("--json", "/no/such/folder/report.json")]
    public void Bad_options_are_refused_with_a_message_naming_them(string option, string value)
    {
        var (settings, errors) = Bind(option, value);
        Assert.Null(settings);
        Assert.NotEmpty(errors);
        Assert.Contains(errors, e => e.Contains(option.TrimStart('-').Split('-')[0], StringComparison.OrdinalIgnoreCase) || e.Contains(value, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("500ms", 0.5)]
    [InlineData("45", 45)]
    [InlineData("00:01:30", 90)]
    public void Durations_parse(string text, double seconds)
    {
        Assert.True(LoadCommand.TryParseDuration(text, out var duration));
        Assert.Equal(seconds, duration.TotalSeconds, 6);
    }

    [Fact]
    public void The_redis_client_runs_on_the_stores_sockets_unless_told_the_clients_threads_or_the_pool()
    {
        var redis = new[] { "--backend", "redis", "--redis", "127.0.0.1:6379" };
        Assert.True(Bind(redis).Settings!.RedisStoreSockets);
        Assert.False(Bind(redis).Settings!.RedisDedicatedThreads);
        var dedicated = Bind([.. redis, "--redis-threads", "dedicated"]).Settings!;
        Assert.True(dedicated.RedisDedicatedThreads);
        Assert.False(dedicated.RedisStoreSockets);
        var pool = Bind([.. redis, "--redis-threads", "pool"]).Settings!;
        Assert.False(pool.RedisDedicatedThreads);
        Assert.False(pool.RedisStoreSockets);
    }

    [Fact]
    public void The_scripts_in_flight_are_the_stores_default_unless_told()
    {
        var redis = new[] { "--backend", "redis", "--redis", "127.0.0.1:6379" };
        Assert.Null(Bind(redis).Settings!.RedisScriptsInFlight);
        Assert.Equal(4, Bind([.. redis, "--redis-scripts-in-flight", "4"]).Settings!.RedisScriptsInFlight);
        Assert.Equal(0, Bind([.. redis, "--redis-scripts-in-flight", "0"]).Settings!.RedisScriptsInFlight); // no bound
    }

    [Fact]
    public void Redis_warms_up_before_the_measured_load_unless_told_not_to()
    {
        var redis = new[] { "--backend", "redis", "--redis", "127.0.0.1:6379" };
        Assert.Equal(LoadCommand.DefaultRedisWarmup, Bind(redis).Settings!.Warmup);
        Assert.Equal(TimeSpan.Zero, Bind([.. redis, "--warmup", "0"]).Settings!.Warmup);
        Assert.Equal(TimeSpan.FromSeconds(5), Bind([.. redis, "--warmup", "5s"]).Settings!.Warmup);
        Assert.Equal(TimeSpan.Zero, Bind().Settings!.Warmup); // in memory: off unless asked
        Assert.Equal(TimeSpan.FromSeconds(3), Bind("--warmup", "3s").Settings!.Warmup);

        var (settings, errors) = Bind([.. redis, "--warmup", "soon"]);
        Assert.Null(settings);
        Assert.Contains(errors, e => e.Contains("--warmup", StringComparison.Ordinal));
        Assert.NotEmpty(Bind([.. redis, "--warmup", "-1s"]).Errors);
    }

    [Fact]
    public void The_pool_does_not_spin_on_redis_unless_told()
    {
        int? SpinLimit(params string[] args)
        {
            var command = new LoadCommand();
            return command.PoolSpinLimit(command.Root.Parse(args));
        }

        Assert.Equal(0, SpinLimit("--backend", "redis", "--redis", "127.0.0.1:6379"));
        Assert.Equal(70, SpinLimit("--backend", "redis", "--redis", "127.0.0.1:6379", "--pool-spin-limit", "70"));
        Assert.Null(SpinLimit());
        Assert.Equal(5, SpinLimit("--pool-spin-limit", "5"));
    }

    [Fact]
    public void Nodes_and_processes_bind_for_redis()
    {
        var (settings, errors) = Bind("--backend", "redis", "--redis", "127.0.0.1:6379", "--nodes", "3", "--node-id", "1", "--node-count", "2", "--run-id", "day-1");
        Assert.Empty(errors);
        Assert.NotNull(settings);
        Assert.Equal(3, settings.Nodes);
        Assert.Equal(1, settings.NodeId);
        Assert.Equal(2, settings.NodeCount);
        Assert.Equal("day-1", settings.RunId);
        Assert.Equal("se-load:day-1:", Backends.KeyPrefix(settings));
    }

    [Theory]
    [InlineData("--nodes", "2")]                                                   // in memory there is one engine
    [InlineData("--backend", "redis", "--redis", "h:1", "--nodes", "0")]
    [InlineData("--backend", "redis", "--redis", "h:1", "--nodes", "100", "-c", "200")]
    [InlineData("--backend", "redis", "--redis", "h:1", "--nodes", "8", "-c", "4")] // more nodes than workers
    [InlineData("--backend", "redis", "--redis", "h:1", "--node-count", "2")]       // no --run-id
    [InlineData("--backend", "redis", "--redis", "h:1", "--node-count", "2", "--node-id", "2", "--run-id", "r")]
    [InlineData("--backend", "redis", "--redis", "h:1", "--node-id", "-1")]
    [InlineData("--backend", "redis", "--redis", "h:1", "--run-id", "a b")]
    [InlineData("--node-count", "2", "--run-id", "r", "--node-id", "1")]           // in memory
    public void Bad_node_options_are_refused_with_a_message_naming_the_option(params string[] args)
    {
        var (settings, errors) = Bind(args);
        Assert.Null(settings);
        Assert.Contains(errors, e => e.Contains("--node", StringComparison.Ordinal) || e.Contains("--run-id", StringComparison.Ordinal));
    }
}
