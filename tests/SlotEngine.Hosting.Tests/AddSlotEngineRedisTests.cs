using StackExchange.Redis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlotEngine.Redis;

namespace SlotEngine.Hosting.Tests;

/// <summary>AddSlotEngineRedis against a real redis-server: connects at start, claims through the instrumented engine, reports health.</summary>
public sealed class AddSlotEngineRedisTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string Secret = "hosting-tests-patient-key-secret-01";

    [Fact]
    public async Task The_host_connects_the_store_at_start_and_claims_go_through_the_instrumented_engine()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        builder.Services.AddSlotEngineRedis(redis.ConnectionString, o =>
        {
            o.KeyPrefix = "hosting-" + Guid.NewGuid().ToString("N")[..8] + ":";
            o.Engine.EarliestBookableDayOffset = 0;
            o.Engine.PatientKeyHasher = PatientKeyHasher.FromSecret(Secret);
        });
        builder.Services.AddHealthChecks().AddSlotEngineRedisCheck();
        using var host = builder.Build();
        var connector = host.Services.GetRequiredService<RedisSlotEngineConnector>();
        Assert.Throws<InvalidOperationException>(() => connector.Engine);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);

        await host.StartAsync();
        using var metrics = new MetricRecorder(host.Services.GetRequiredService<IMeterFactory>());
        var engine = Assert.IsType<InstrumentedSlotEngine>(host.Services.GetRequiredService<ISlotEngine>());
        Assert.IsType<RedisSlotEngine>(engine.Inner);
        var day = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(2);
        engine.Directory.AddFacility(new FacilityId(601), new CityCode(6));
        engine.Directory.AddClinic(new ClinicId(1), new FacilityId(601), new BranchId(1));
        engine.Directory.AddProvider(new ProviderId(1), new ClinicId(1));
        await engine.PublishAsync(new ProviderId(1), day, DayTemplate.Standard);
        var patients = host.Services.GetRequiredService<PatientKeyHasher>();
        var calendar = new CalendarKey(new ProviderId(1), day);
        var first = await engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(0), patients.KeyOf(Seeds.Citizen(1)), TimeSpan.FromMinutes(5)));
        var second = await engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(0), patients.KeyOf(Seeds.Citizen(2)), TimeSpan.FromMinutes(5)));

        Assert.True(first.Succeeded);
        Assert.Equal(ClaimStatus.Taken, second.Status);
        Assert.Equal(["succeeded", "taken"], metrics.Of(SlotEngineTelemetry.Claims).Select(m => m.Tag(SlotEngineTelemetry.ClaimStatusTag)));

        // The test server runs without persistence, so the store connects but warns: degraded.
        var report = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Degraded, report.Entries["slotengine-redis"].Status);

        await host.StopAsync();
        Assert.False(connector.IsConnected);
    }

    [Fact]
    public async Task Without_a_connection_string_the_store_shares_the_hosts_multiplexer_and_leaves_it_open()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var shared = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        builder.Services.AddSingleton<IConnectionMultiplexer>(shared);
        builder.Services.AddSlotEngineRedis(o =>
        {
            o.KeyPrefix = "shared-" + Guid.NewGuid().ToString("N")[..8] + ":";
            o.Engine.PatientKeyHasher = PatientKeyHasher.FromSecret(Secret);
        });
        using (var host = builder.Build())
        {
            await host.StartAsync();
            var store = host.Services.GetRequiredService<RedisSlotEngine>();
            Assert.Same(shared, store.Multiplexer);
            Assert.True(await store.PingAsync() >= TimeSpan.Zero);
            await host.StopAsync();
        }

        // The host's client is still the host's: the store did not dispose it.
        Assert.True(shared.IsConnected);
        Assert.Equal("PONG", (string?)await shared.GetDatabase().ExecuteAsync("PING"));
        await shared.DisposeAsync();
    }

    [Fact]
    public async Task Without_a_connection_string_or_a_registered_multiplexer_start_up_says_what_is_missing()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngineRedis(o => o.Engine.PatientKeyHasher = PatientKeyHasher.FromSecret(Secret));
        using var host = builder.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
        Assert.Contains("IConnectionMultiplexer", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_store_options_can_come_from_other_services_through_the_provider_callback()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(new RedisEndpoint(redis.ConnectionString));
        builder.Configuration[SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey] = Secret;
        builder.Services.AddSlotEngineRedis((o, services) =>
        {
            o.ConnectionString = services.GetRequiredService<RedisEndpoint>().ConnectionString;
            o.KeyPrefix = "callback-" + Guid.NewGuid().ToString("N")[..8] + ":";
        });
        using var host = builder.Build();
        await host.StartAsync();

        var store = host.Services.GetRequiredService<RedisSlotEngine>();
        Assert.Equal(PatientKeyHasher.FromSecret(Secret).KeyOf(Seeds.Citizen(3)), store.PatientOf(Seeds.Citizen(3)));
        Assert.True(await store.PingAsync() >= TimeSpan.Zero);
        await host.StopAsync();
    }

    [Fact]
    public void The_store_records_on_the_meter_the_hosting_package_names()
    {
        Assert.Equal(SlotEngineTelemetry.MeterName, RedisSlotEngineTelemetry.MeterName);
    }

    private sealed record RedisEndpoint(string ConnectionString);

    [Fact]
    public async Task A_bad_store_option_stops_start_up_with_a_message_naming_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngineRedis(redis.ConnectionString, o => o.KeyPrefix = "{bad}");
        builder.Configuration[SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey] = Secret;
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var validation = Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
        Assert.Contains("RedisSlotEngineOptions.KeyPrefix", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_redis_stops_start_up_and_the_check_says_why()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey] = Secret;
        builder.Services.AddSlotEngineRedis("127.0.0.1:1,connectTimeout=500");
        builder.Services.AddHealthChecks().AddSlotEngineRedisCheck();
        using var host = builder.Build();

        await Assert.ThrowsAnyAsync<RedisException>(() => host.StartAsync());

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["slotengine-redis"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.IsAssignableFrom<RedisException>(entry.Exception);
    }
}
