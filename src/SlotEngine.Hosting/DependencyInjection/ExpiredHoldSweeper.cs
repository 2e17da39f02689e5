using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace SlotEngine.Hosting;

/// <summary>
/// Calls <see cref="ISlotEngine.SweepAsync"/> (expired holds and lapsed approvals) every interval on a <see cref="PeriodicTimer"/>
/// driven by the engine's time provider (so a test moves it by hand). A failed sweep is logged and the
/// next one tried on time; the engine's own instrumentation counts and logs what each sweep freed.
/// </summary>
/// <remarks>The engine is resolved when the sweeper starts running, not when it is created: a Redis engine exists only once the host has connected it.</remarks>
internal sealed class ExpiredHoldSweeper(IServiceProvider services, IOptions<ExpiredHoldSweeperOptions> options, ILogger<ExpiredHoldSweeper>? logger = null)
    : BackgroundService
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var engine = services.GetRequiredService<ISlotEngine>();
        var interval = options.Value.Interval;
        using var timer = new PeriodicTimer(interval, engine.Options.TimeProvider);
        Log.SweeperStarted(_logger, interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await engine.SweepAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.SweepFailed(_logger, interval, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}
