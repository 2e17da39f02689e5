using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SlotEngine.Redis;

namespace SlotEngine.Hosting;

/// <summary>
/// The health of the Redis store's connection, as the connector knows it: unhealthy before the connect
/// or after a failed one, degraded with persistence warnings, healthy otherwise. It sends no command of
/// its own (the store exposes no ping yet); claims that fail on Redis show in the metrics instead.
/// </summary>
internal sealed class RedisSlotEngineHealthCheck(RedisSlotEngineConnector connector) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!connector.IsConnected)
        {
            return Task.FromResult(new HealthCheckResult(
                context.Registration.FailureStatus,
                connector.ConnectError is null ? "The Redis slot engine is not connected (the host has not started or has stopped)." : "The Redis slot engine could not connect.",
                connector.ConnectError));
        }

        var warnings = connector.Engine.PersistenceWarnings;
        return Task.FromResult(warnings.Count == 0
            ? HealthCheckResult.Healthy("The Redis slot engine is connected.")
            : HealthCheckResult.Degraded("Connected, but Redis could lose calendars: " + string.Join(" ", warnings)));
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
