using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SlotEngine.Redis;
using StackExchange.Redis;

namespace SlotEngine.Hosting;

/// <summary>
/// The health of the Redis store, checked actively: <c>PING</c> to every primary (<see cref="RedisSlotEngine.PingAsync"/>).
/// Unhealthy before the connect, after a failed one, or when a PING fails or outlasts
/// <see cref="SlotEngineRedisCheckOptions.Timeout"/>; degraded when the slowest PING took longer than
/// <see cref="SlotEngineRedisCheckOptions.DegradedThreshold"/> or when the start-up persistence check warned;
/// healthy otherwise. The PING time goes into the result's data as <c>ping_ms</c>.
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

        TimeSpan ping;
        try
        {
            ping = await engine.PingAsync(cancellationToken).AsTask()
                .WaitAsync(options.Timeout, engine.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            return new HealthCheckResult(failure, $"Redis did not answer PING within {options.Timeout.TotalMilliseconds} ms.", e);
        }
        catch (RedisException e)
        {
            return new HealthCheckResult(failure, "PING to Redis failed: " + e.Message, e);
        }
        catch (ObjectDisposedException e)
        {
            return new HealthCheckResult(failure, "The Redis slot engine has stopped.", e);
        }

        var data = new Dictionary<string, object> { ["ping_ms"] = ping.TotalMilliseconds };
        if (ping > options.DegradedThreshold)
        {
            return HealthCheckResult.Degraded($"Redis answered PING in {ping.TotalMilliseconds:F1} ms, more than the {options.DegradedThreshold.TotalMilliseconds} ms threshold.", data: data);
        }

        var warnings = engine.PersistenceWarnings;
        return warnings.Count == 0
            ? HealthCheckResult.Healthy($"Redis answered PING in {ping.TotalMilliseconds:F1} ms.", data)
            : HealthCheckResult.Degraded("Redis answers PING, but could lose calendars: " + string.Join(" ", warnings), data: data);
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
