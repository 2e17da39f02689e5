using SlotEngine.LoadTest.Cli;

namespace SlotEngine.LoadTest.Tests;

/// <summary><c>slotengine-load migrate</c>: the library's migration from the command line, with its exit codes.</summary>
public class MigrateCommandTests
{
    [Fact]
    public async Task Migrate_moves_a_layout_2_store_then_refuses_a_second_run_and_bad_options()
    {
        await using var redis = await RedisServer.StartAsync();
        const string prefix = "cli:";
        await redis.CliAsync("SET", prefix + "patient-secret-fingerprint-v1", "f");
        await redis.CliAsync("SET", prefix + "layout{" + prefix + "patient-secret-fingerprint-v1}", "2");
        await redis.CliAsync("HSET", prefix + "{a:ab}:q:20261210", "c:10:0", "100:20261210|n|0");
        await redis.CliAsync("PEXPIREAT", prefix + "{a:ab}:q:20261210", "4102444800000");
        await redis.CliAsync("HSET", prefix + "{a:ab}:b", "1", "4102444800000");

        var output = new StringWriter();
        var errors = new StringWriter();
        var code = await MigrateCommand.RunAsync(redis.Endpoint, prefix, 100, "Europe/Istanbul", output, errors, TimeProvider.System, CancellationToken.None);

        Assert.True(code == 0, errors.ToString());
        Assert.Contains("migrate: done, layout 2 -> 3", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("1 patients", output.ToString(), StringComparison.Ordinal);
        Assert.Equal("3", (await redis.CliAsync("GET", prefix + "layout{" + prefix + "patient-secret-fingerprint-v1}")).Trim());
        Assert.Equal("100:20261210|n|0", (await redis.CliAsync("HGET", prefix + "{a:ab}", "q20261210:c:10:0")).Trim());
        Assert.Equal("4102444800000", (await redis.CliAsync("HGET", prefix + "{a:ab}", "b:1")).Trim());
        Assert.Equal("0", (await redis.CliAsync("EXISTS", prefix + "{a:ab}:q:20261210", prefix + "{a:ab}:b")).Trim());

        errors = new StringWriter();
        Assert.Equal(MigrateCommand.Refused, await MigrateCommand.RunAsync(redis.Endpoint, prefix, 100, "Europe/Istanbul", TextWriter.Null, errors, TimeProvider.System, CancellationToken.None));
        Assert.Contains("already in stored layout 3", errors.ToString(), StringComparison.Ordinal);

        Assert.Equal(LoadCommand.BadOptions, await MigrateCommand.RunAsync(redis.Endpoint, prefix, 100, "Mars/Olympus", TextWriter.Null, TextWriter.Null, TimeProvider.System, CancellationToken.None));
        Assert.Equal(LoadCommand.BadOptions, await MigrateCommand.RunAsync(redis.Endpoint, "a{b}", 100, "Europe/Istanbul", TextWriter.Null, TextWriter.Null, TimeProvider.System, CancellationToken.None));
        Assert.Equal(LoadCommand.BadOptions, await MigrateCommand.RunAsync(redis.Endpoint, prefix, 0, "Europe/Istanbul", TextWriter.Null, TextWriter.Null, TimeProvider.System, CancellationToken.None));
    }

    [Fact]
    public void Migrate_needs_the_redis_and_the_key_prefix()
    {
        var command = MigrateCommand.Create();
        Assert.NotEmpty(command.Parse(["--redis", "127.0.0.1:1"]).Errors);
        Assert.Empty(command.Parse(["--redis", "127.0.0.1:1", "--key-prefix", "se:"]).Errors);
    }
}
