using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlotEngine.Hosting;

namespace SlotEngine;

/// <summary>Adds optional parts to a SlotEngine registration; returned by <see cref="SlotEngineServiceCollectionExtensions.AddSlotEngine"/>.</summary>
public sealed class SlotEngineBuilder
{
    /// <summary>Creates a builder over a service collection in which an engine has been registered (for packages that register engines, such as SlotEngine.Hosting.Redis).</summary>
    /// <param name="services">The service collection.</param>
    public SlotEngineBuilder(IServiceCollection services) => Services = services ?? throw new ArgumentNullException(nameof(services));

    /// <summary>The service collection the engine is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Adds a hosted service that frees expired holds every <see cref="ExpiredHoldSweeperOptions.Interval"/>,
    /// timed by the engine's <see cref="SlotEngineOptions.TimeProvider"/>. Holds expire without it too (a
    /// claim that meets an expired hold takes it); the sweeper makes them show as free in queries sooner
    /// and counts them in <see cref="SlotEngineTelemetry.HoldsExpired"/>.
    /// </summary>
    /// <param name="configure">Sets the sweeper's options; <see langword="null"/> for the defaults.</param>
    /// <returns>This builder.</returns>
    public SlotEngineBuilder AddExpiredHoldSweeper(Action<ExpiredHoldSweeperOptions>? configure = null)
    {
        var options = Services.AddOptions<ExpiredHoldSweeperOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ExpiredHoldSweeperOptions>, ExpiredHoldSweeperOptionsValidator>());
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ExpiredHoldSweeper>());
        return this;
    }
}
