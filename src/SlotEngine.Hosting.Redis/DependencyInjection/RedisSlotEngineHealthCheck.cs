using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SlotEngine.Redis;

namespace SlotEngine.Hosting;

/// <summary>
/// The health of the Redis store, checked actively by the store's own <see cref="RedisSlotEngine.CheckHealthAsync"/>
/// (<c>PING</c> to every primary, the replica count against <see cref="RedisSlotEngineOptions.WaitForReplicas"/>).
/// Unhealthy before the connect, after a failed one, while Redis is away (<c>abortConnect=false</c>), or when the
/// check outlasts <see cref="SlotEngineRedisCheckOptions.Timeout"/>; degraded when a primary has fewer connected
/// replicas than required, when the start-up persistence check warned, or when the slowest PING took longer than
/// <see cref="SlotEngineRedisCheckOptions.DegradedThreshold"/>; healthy otherwise. The PING time goes into the
/// result's data as <c>ping_ms</c>.
/// </summary>
internal sealed class RedisSlotEngineHealthCheck(RedisSlotEngineConnector? connector, SlotEngineRedisCheckOptions options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        if (connector is null)
        {
            // A container built without a host (no start-up validation) can still get here.
            return new HealthCheckResult(failure, RedisCheckRequirement.Missing);
        }

        RedisSlotEngine engine;
        try
        {
            engine = connector.Engine;
        }
        catch (InvalidOperationException)
        {
            return new HealthCheckResult(
                failure,
                connector.ConnectError is null ? "The Redis slot engine is not connected (the host has not started or has stopped)." : "The Redis slot engine could not connect.",
                connector.ConnectError);
        }

        RedisSlotEngineHealth health;
        try
        {
            health = await engine.CheckHealthAsync(cancellationToken).AsTask()
                .WaitAsync(options.Timeout, engine.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            return new HealthCheckResult(failure, $"Redis did not answer PING within {options.Timeout.TotalMilliseconds} ms.", e);
        }
        catch (ObjectDisposedException e)
        {
            return new HealthCheckResult(failure, "The Redis slot engine has stopped.", e);
        }

        var data = new Dictionary<string, object>();
        if (health.RoundTrip is { } ping)
        {
            data["ping_ms"] = ping.TotalMilliseconds;
        }

        return health.Status switch
        {
            RedisSlotEngineHealthStatus.Unhealthy => new HealthCheckResult(failure, health.Description, health.Exception, data),
            RedisSlotEngineHealthStatus.Degraded => HealthCheckResult.Degraded(health.Description, health.Exception, data),
            _ when health.RoundTrip is { } slow && slow > options.DegradedThreshold =>
                HealthCheckResult.Degraded($"Redis answered PING in {slow.TotalMilliseconds:F1} ms, more than the {options.DegradedThreshold.TotalMilliseconds} ms threshold.", data: data),
            _ => HealthCheckResult.Healthy($"Redis answered PING in {health.RoundTrip.GetValueOrDefault().TotalMilliseconds:F1} ms.", data),
        };
    }
}

/// <summary>Runs <see cref="RedisSlotEngineOptions.Validate"/>, whose message names the option at fault.</summary>
internal sealed class RedisSlotEngineOptionsValidator : IValidateOptions<RedisSlotEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisSlotEngineOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ex.Message);
        }
    }
}
