using StackExchange.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using SlotEngine.Redis;

namespace SlotEngine.Hosting.Tests;

/// <summary>The active Redis health check (PING to every primary) against a redis-server of its own, which it kills.</summary>
public sealed class RedisHealthCheckTests
{
    [Fact]
    public async Task The_check_is_healthy_while_redis_answers_PING_and_unhealthy_once_the_server_is_killed()
    {
        var redis = new RedisServer();
        await redis.InitializeAsync();
        var killed = false;
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddSlotEngineRedis(redis.ConnectionString + ",syncTimeout=1000", o =>
            {
                o.KeyPrefix = "health-" + Guid.NewGuid().ToString("N")[..8] + ":";
                o.PersistenceCheck = PersistenceCheckMode.Off; // the test server has no persistence: that alone would degrade
                o.Engine.PatientKeyHasher = PatientKeyHasher.FromSecret("health-tests-patient-key-secret");
            });
            builder.Services.AddHealthChecks()
                .AddSlotEngineRedisCheck(configure: o => o.DegradedThreshold = TimeSpan.FromSeconds(30))
                .AddSlotEngineRedisCheck("slotengine-redis-strict", configure: o => o.DegradedThreshold = TimeSpan.FromTicks(1));
            using var host = builder.Build();
            await host.StartAsync();
            var health = host.Services.GetRequiredService<HealthCheckService>();

            var report = await health.CheckHealthAsync();
            var entry = report.Entries["slotengine-redis"];
            Assert.Equal(HealthStatus.Healthy, entry.Status);
            Assert.True((double)entry.Data["ping_ms"] > 0);
            Assert.Equal(HealthStatus.Degraded, report.Entries["slotengine-redis-strict"].Status); // any real PING is slower than 100 ns

            killed = true;
            await redis.DisposeAsync(); // kills the server
            report = await health.CheckHealthAsync();
            entry = report.Entries["slotengine-redis"];
            Assert.Equal(HealthStatus.Unhealthy, entry.Status);
            Assert.True(entry.Exception is RedisException or TimeoutException, entry.Exception?.ToString());
            Assert.Contains("Redis is not reachable", entry.Description, StringComparison.Ordinal);

            await host.StopAsync();
        }
        finally
        {
            if (!killed)
            {
                await redis.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Fewer_connected_replicas_than_WaitForReplicas_is_degraded_and_says_so()
    {
        await using var redis = new RedisServer();
        await redis.InitializeAsync();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngineRedis(redis.ConnectionString, o =>
        {
            o.KeyPrefix = "replicas-" + Guid.NewGuid().ToString("N")[..8] + ":";
            o.PersistenceCheck = PersistenceCheckMode.Off;
            o.WaitForReplicas = 1; // the README's example, against a server without replicas
            o.Engine.PatientKeyHasher = PatientKeyHasher.FromSecret("health-tests-patient-key-secret");
        });
        builder.Services.AddHealthChecks().AddSlotEngineRedisCheck(configure: o => o.DegradedThreshold = TimeSpan.FromSeconds(30));
        using var host = builder.Build();
        await host.StartAsync();

        var entry = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["slotengine-redis"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Contains("0 connected replicas", entry.Description, StringComparison.Ordinal);
        Assert.Contains("WaitForReplicas is 1", entry.Description, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_redis_check_in_a_host_without_the_redis_store_stops_start_up_with_a_clear_message()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngine();
        builder.Services.AddHealthChecks().AddSlotEngineRedisCheck();
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var validation = Assert.IsType<Microsoft.Extensions.Options.OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
        Assert.Contains("AddSlotEngineRedis", validation.Message, StringComparison.Ordinal);

        // Without a host (no start-up validation) the check itself says the same, instead of throwing.
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["slotengine-redis"].Status);
        Assert.Contains("AddSlotEngineRedis", report.Entries["slotengine-redis"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_check_option_is_refused_with_a_message_naming_it()
    {
        var checks = new ServiceCollection().AddHealthChecks();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => checks.AddSlotEngineRedisCheck(configure: o => o.Timeout = TimeSpan.Zero));

        Assert.Contains("SlotEngineRedisCheckOptions.Timeout", error.Message, StringComparison.Ordinal);
    }
}
