using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlotEngine.Hosting;
using SlotEngine.Redis;
using StackExchange.Redis;

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
    /// unreachable Redis stops it with the connection error. The patient key secret is required and must be the
    /// same on every node: set <see cref="SlotEngineOptions.PatientKeyHasher"/> or the configuration value
    /// <see cref="SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey"/>; a node whose secret is not
    /// the deployment's refuses to start.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">Where Redis is: <c>host:port[,host:port…][,user=…,password=…,ssl=true]</c>.</param>
    /// <param name="configure">Sets the store's options; <see langword="null"/> for the defaults.</param>
    /// <returns>A builder for optional parts.</returns>
    public static SlotEngineBuilder AddSlotEngineRedis(this IServiceCollection services, string connectionString, Action<RedisSlotEngineOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return services.AddSlotEngineRedis((o, _) =>
        {
            o.ConnectionString = connectionString;
            configure?.Invoke(o);
        });
    }

    /// <summary>
    /// Registers a <see cref="RedisSlotEngine"/> as <see cref="AddSlotEngineRedis(IServiceCollection, string, Action{RedisSlotEngineOptions}?)"/>
    /// does, on the host's own StackExchange.Redis client: the <see cref="IConnectionMultiplexer"/> registered in the
    /// container (the one the host already uses for its cache) becomes <see cref="RedisSlotEngineOptions.Multiplexer"/>.
    /// The store shares it and never disposes it.
    /// </summary>
    /// <remarks>
    /// The host must register an <see cref="IConnectionMultiplexer"/>; without one, start-up stops with a message that
    /// says so. With <see cref="RedisSlotEngineOptions.WaitForReplicas"/> above 0 the store opens connections of its own
    /// for durable writes from the multiplexer's configuration (see docs/redis.md, "Connecting").
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the other store options (the patient key secret at least, unless it comes from configuration).</param>
    /// <returns>A builder for optional parts.</returns>
    public static SlotEngineBuilder AddSlotEngineRedis(this IServiceCollection services, Action<RedisSlotEngineOptions> configure) =>
        services.AddSlotEngineRedis((o, sp) =>
        {
            o.Multiplexer = sp.GetService<IConnectionMultiplexer>() ?? throw new InvalidOperationException(
                "AddSlotEngineRedis() without a connection string takes the host's IConnectionMultiplexer from the container, and none is registered: " +
                "register one (services.AddSingleton<IConnectionMultiplexer>(…)) or pass a connection string.");
            configure?.Invoke(o);
        });

    /// <summary>
    /// Registers a <see cref="RedisSlotEngine"/> as <see cref="AddSlotEngineRedis(IServiceCollection, string, Action{RedisSlotEngineOptions}?)"/>
    /// does, with every store option set by a callback that can resolve services: where Redis is (from the host's
    /// configuration or a secret store), the patient key secret, a warning sink.
    /// </summary>
    /// <remarks>
    /// The callback runs once, when the options are first needed (at host start), after the defaults below are in
    /// place: <see cref="RedisSlotEngineOptions.Engine"/> is the container's <see cref="SlotEngineOptions"/> (with the
    /// secret from <see cref="SlotEngineServiceCollectionExtensions.PatientKeySecretConfigurationKey"/> when code sets
    /// none) and <see cref="RedisSlotEngineOptions.MeterFactory"/> the container's <see cref="IMeterFactory"/>.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the store's options from the options and the container.</param>
    /// <returns>A builder for optional parts.</returns>
    public static SlotEngineBuilder AddSlotEngineRedis(this IServiceCollection services, Action<RedisSlotEngineOptions, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSlotEngineOptions();
        var options = services.AddOptions<RedisSlotEngineOptions>()
            .Configure<IOptions<SlotEngineOptions>, IServiceProvider>((o, engine, sp) =>
            {
                o.Engine = engine.Value;
                o.MeterFactory = sp.GetService<IMeterFactory>();
            })
            .Configure<IServiceProvider>(configure);
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
    /// Adds an active health check of the Redis store: <c>PING</c> to every primary on each run. Unhealthy before
    /// the store connects, when the connect failed, or when a PING fails or takes longer than
    /// <see cref="SlotEngineRedisCheckOptions.Timeout"/> (default 2 s); degraded when the slowest PING took longer
    /// than <see cref="SlotEngineRedisCheckOptions.DegradedThreshold"/> (default 100 ms) or when the start-up
    /// persistence check found that Redis could lose calendars; healthy otherwise.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name. The default is <c>slotengine-redis</c>.</param>
    /// <param name="tags">Tags for filtering checks, such as <c>ready</c>.</param>
    /// <param name="configure">Sets the timeout and the degraded threshold; <see langword="null"/> for the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    /// <remarks>
    /// The check needs the Redis store: a host that adds it without <c>AddSlotEngineRedis</c> (for example an
    /// in-memory host) fails at start-up with an <see cref="OptionsValidationException"/> that says so, instead of
    /// answering every health request with an error.
    /// </remarks>
    public static IHealthChecksBuilder AddSlotEngineRedisCheck(
        this IHealthChecksBuilder builder,
        string name = "slotengine-redis",
        IEnumerable<string>? tags = null,
        Action<SlotEngineRedisCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new SlotEngineRedisCheckOptions();
        configure?.Invoke(options);
        options.Validate();
        if (!builder.Services.Any(static d => d.ServiceType == typeof(IValidateOptions<RedisCheckRequirement>)))
        {
            builder.Services.AddOptions<RedisCheckRequirement>().ValidateOnStart();
            builder.Services.AddSingleton<IValidateOptions<RedisCheckRequirement>, RedisCheckRequirement.Validator>();
        }

        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new RedisSlotEngineHealthCheck(sp.GetService<RedisSlotEngineConnector>(), options),
            failureStatus: null,
            tags: tags ?? []));
    }
}
