using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlotEngine.Hosting;
using SlotEngine.Redis;

namespace SlotEngine;

/// <summary>Registers the Redis store: <c>services.AddSlotEngineRedis("host:6379", options => …)</c>.</summary>
public static class SlotEngineRedisServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="RedisSlotEngine"/> as the singleton <see cref="ISlotEngine"/> (wrapped in an
    /// <see cref="InstrumentedSlotEngine"/>), connected when the host starts and disposed when it stops.
    /// Resolve <see cref="ISlotEngine"/>, <see cref="RedisSlotEngine"/> and <see cref="PatientKeyHasher"/>
    /// after <c>IHost.StartAsync</c>.
    /// </summary>
    /// <remarks>
    /// <see cref="RedisSlotEngineOptions.Engine"/> is the container's <see cref="SlotEngineOptions"/>
    /// (configure them in <paramref name="configure"/> through <c>options.Engine</c>). Both are validated
    /// when the host starts: a bad value stops start-up with a message that names the option; an
    /// unreachable Redis stops it with the connection error. Set the same
    /// <see cref="SlotEngineOptions.PatientKeyHasher"/> secret on every node.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">Where Redis is: <c>host:port[,host:port…][,user=…,password=…,ssl=true]</c>.</param>
    /// <param name="configure">Sets the store's options; <see langword="null"/> for the defaults.</param>
    /// <returns>A builder for optional parts.</returns>
    public static SlotEngineBuilder AddSlotEngineRedis(this IServiceCollection services, string connectionString, Action<RedisSlotEngineOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        SlotEngineServiceCollectionExtensions.AddSlotEngineCore(services, null);
        var options = services.AddOptions<RedisSlotEngineOptions>()
            .Configure<IOptions<SlotEngineOptions>>((o, engine) =>
            {
                o.ConnectionString = connectionString;
                o.Engine = engine.Value;
            });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisSlotEngineOptions>, RedisSlotEngineOptionsValidator>());
        if (!services.Any(static d => d.ServiceType == typeof(RedisSlotEngineConnector)))
        {
            services.AddSingleton<RedisSlotEngineConnector>();

            // First among the hosted services, so the engine is connected before any other starts.
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(static sp => sp.GetRequiredService<RedisSlotEngineConnector>()));
        }

        services.TryAddSingleton(static sp => sp.GetRequiredService<RedisSlotEngineConnector>().Engine);
        services.TryAddSingleton(static sp => sp.GetRequiredService<RedisSlotEngine>().PatientKeys);
        services.TryAddSingleton<ISlotEngine>(static sp => new InstrumentedSlotEngine(
            sp.GetRequiredService<RedisSlotEngine>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<ILogger<InstrumentedSlotEngine>>()));
        return new SlotEngineBuilder(services);
    }

    /// <summary>
    /// Adds a health check of the Redis store's connection: unhealthy before it connects or when the
    /// connect failed, degraded when the start-up persistence check found that Redis could lose calendars.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name. The default is <c>slotengine-redis</c>.</param>
    /// <param name="tags">Tags for filtering checks, such as <c>ready</c>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddSlotEngineRedisCheck(this IHealthChecksBuilder builder, string name = "slotengine-redis", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<RedisSlotEngineHealthCheck>(name, failureStatus: null, tags: tags ?? []);
    }
}
