using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlotEngine.Redis;

namespace SlotEngine.Hosting.Tests;

/// <summary>
/// Issue 8.2 through the host: the Redis store needs the patient key secret (start-up names the option), takes it
/// from configuration (<c>SlotEngine:PatientKeySecret</c>), never logs it, and refuses a node whose secret differs
/// from the deployment's (fingerprint in Redis).
/// </summary>
public sealed class PatientSecretHostingTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string Secret = "hosting-secret-from-configuration-01";
    private const string OtherSecret = "hosting-secret-of-another-node-0002";

    private IHost BuildHost(string prefix, string? configuredSecret, LogSink? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (configuredSecret is not null)
        {
            // As an environment variable, a key vault or user secrets would supply it.
            builder.Configuration.AddInMemoryCollection([new(SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey, configuredSecret)]);
        }

        if (logs is not null)
        {
            builder.Logging.AddProvider(logs).SetMinimumLevel(LogLevel.Trace);
        }

        builder.Services.AddSlotEngineRedis(redis.ConnectionString, o =>
        {
            o.KeyPrefix = prefix;
            o.Engine.EarliestBookableDayOffset = 0;
        });
        return builder.Build();
    }

    private static string NewPrefix() => "secret-" + Guid.NewGuid().ToString("N")[..8] + ":";

    [Fact]
    public async Task A_redis_host_without_a_secret_refuses_to_start_and_names_the_option_and_the_configuration_key()
    {
        using var host = BuildHost(NewPrefix(), configuredSecret: null);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var validation = Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
        Assert.Contains("PatientKeyHasher", validation.Message, StringComparison.Ordinal);
        Assert.Contains("SlotEngine:PatientKeySecret", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nodes_given_one_secret_by_configuration_start_share_patients_and_a_node_with_another_is_refused_without_the_secret_in_any_log()
    {
        var prefix = NewPrefix();
        var logs = new LogSink();
        using var first = BuildHost(prefix, Secret, logs);
        using var second = BuildHost(prefix, Secret, logs);
        using var third = BuildHost(prefix, OtherSecret, logs);
        await first.StartAsync();
        await second.StartAsync();

        var citizen = Seeds.Citizen(7);
        var expected = PatientKeyHasher.FromSecret(Secret).KeyOf(citizen);
        Assert.Equal(expected, first.Services.GetRequiredService<PatientKeyHasher>().KeyOf(citizen));
        Assert.Equal(expected, second.Services.GetRequiredService<RedisSlotEngine>().PatientOf(citizen));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => third.StartAsync());
        Assert.Contains("patient key secret", error.Message, StringComparison.Ordinal);
        Assert.Contains("SlotEngine:PatientKeySecret", error.Message, StringComparison.Ordinal);

        var everything = string.Join('\n', logs.Lines) + error;
        Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(OtherSecret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, first.Services.GetRequiredService<IOptions<SlotEngineOptions>>().Value.PatientKeyHasher!.ToString(), StringComparison.Ordinal);

        await second.StopAsync();
        await first.StopAsync();
    }

    [Fact]
    public async Task A_secret_set_in_code_wins_over_configuration()
    {
        var prefix = NewPrefix();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey] = OtherSecret;
        builder.Services.AddSlotEngineRedis(redis.ConnectionString, o =>
        {
            o.KeyPrefix = prefix;
            o.Engine.PatientKeyHasher = PatientKeyHasher.FromSecret(Secret);
        });
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Equal(PatientKeyHasher.FromSecret(Secret).KeyOf(Seeds.Citizen(1)), host.Services.GetRequiredService<PatientKeyHasher>().KeyOf(Seeds.Citizen(1)));
        await host.StopAsync();
    }

    [Fact]
    public async Task An_in_memory_host_takes_the_secret_from_configuration_and_a_short_one_stops_start_up_without_showing_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey] = Secret;
        builder.Services.AddSlotEngine();
        using (var host = builder.Build())
        {
            await host.StartAsync();
            Assert.Equal(PatientKeyHasher.FromSecret(Secret).KeyOf(Seeds.Citizen(2)), host.Services.GetRequiredService<PatientKeyHasher>().KeyOf(Seeds.Citizen(2)));
            await host.StopAsync();
        }

        var shortOne = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        shortOne.Configuration[SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey] = "short-secret";
        shortOne.Services.AddSlotEngine();
        using var refused = shortOne.Build();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => refused.StartAsync());
        var validation = Assert.IsType<OptionsValidationException>(error is AggregateException a ? a.InnerExceptions[0] : error);
        Assert.Contains("SlotEngine:PatientKeySecret", validation.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", validation.Message, StringComparison.Ordinal);
    }
}
