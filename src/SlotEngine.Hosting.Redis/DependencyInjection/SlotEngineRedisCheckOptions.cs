using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SlotEngine;

/// <summary>Settings of the Redis store's health check (<see cref="SlotEngineRedisServiceCollectionExtensions.AddSlotEngineRedisCheck"/>).</summary>
public sealed class SlotEngineRedisCheckOptions
{
    /// <summary>The longest <see cref="Timeout"/> accepted: one minute.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long the check waits for every primary to answer <c>PING</c> before it reports unhealthy (the
    /// connection's own command timeout also applies, whichever is shorter). Measured with the engine's
    /// <see cref="SlotEngineOptions.TimeProvider"/>.
    /// <value>The default is 2 seconds. Range: more than zero, at most <see cref="MaxTimeout"/>.</value>
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A <c>PING</c> round trip (of the slowest primary) longer than this reports degraded: Redis answers, but slowly.
    /// <value>The default is 100 milliseconds (a healthy Redis on the same network answers in well under one). Range: more than zero.</value>
    /// </summary>
    public TimeSpan DegradedThreshold { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Checks every setting and names the first that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero || Timeout > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, $"SlotEngineRedisCheckOptions.Timeout must be more than zero and at most {MaxTimeout}.");
        }

        if (DegradedThreshold <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DegradedThreshold), DegradedThreshold, "SlotEngineRedisCheckOptions.DegradedThreshold must be more than zero.");
        }
    }
}

/// <summary>
/// What <see cref="SlotEngineRedisServiceCollectionExtensions.AddSlotEngineRedisCheck"/> needs from the container:
/// the Redis store's registration. Validated when the host starts, so a Redis check in a host without the Redis
/// store stops start-up with a clear message instead of failing every health request.
/// </summary>
internal sealed class RedisCheckRequirement
{
    /// <summary>The message when the store is missing.</summary>
    public const string Missing =
        "AddSlotEngineRedisCheck() checks the Redis store, but the host has none: call services.AddSlotEngineRedis(…) " +
        "(or remove the check; an in-memory engine from AddSlotEngine(…) has no Redis to check).";

    /// <summary>Fails when no <see cref="Hosting.RedisSlotEngineConnector"/> is registered.</summary>
    internal sealed class Validator(IServiceProvider services) : IValidateOptions<RedisCheckRequirement>
    {
        public ValidateOptionsResult Validate(string? name, RedisCheckRequirement options) =>
            services.GetService<IServiceProviderIsService>()?.IsService(typeof(Hosting.RedisSlotEngineConnector)) == true
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(Missing);
    }
}
