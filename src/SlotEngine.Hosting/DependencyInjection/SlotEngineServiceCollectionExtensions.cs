using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlotEngine.Hosting;

namespace SlotEngine;

/// <summary>Registers SlotEngine in a service collection: <c>services.AddSlotEngine(options => …)</c>.</summary>
public static class SlotEngineServiceCollectionExtensions
{
    /// <summary>
    /// The configuration key of the patient key secret: <c>SlotEngine:PatientKeySecret</c> (as an environment
    /// variable <c>SlotEngine__PatientKeySecret</c>). Any configuration source or secret store the host reads
    /// serves; its UTF-8 bytes are the key material (at least 16, see <see cref="PatientKeyHasher.FromSecret"/>).
    /// Used when <see cref="SlotEngineOptions.PatientKeyHasher"/> is not set in code; never logged.
    /// </summary>
    public const string PatientKeySecretConfigurationKey = "SlotEngine:PatientKeySecret";

    /// <summary>
    /// Registers an in-memory engine as a singleton <see cref="ISlotEngine"/>, wrapped in an
    /// <see cref="InstrumentedSlotEngine"/> (logs, metrics, traces). Also registers the
    /// <see cref="InMemorySlotEngine"/> itself (for its synchronous fast paths; calls to it are not
    /// instrumented) and its <see cref="PatientKeyHasher"/>.
    /// </summary>
    /// <remarks>
    /// <para>
    /// <see cref="SlotEngineOptions"/> are validated when the host starts (<c>ValidateOnStart</c>): a bad
    /// value stops start-up with an <see cref="OptionsValidationException"/> whose message names the option.
    /// </para>
    /// <para>
    /// The patient key secret: when <paramref name="configure"/> sets no <see cref="SlotEngineOptions.PatientKeyHasher"/>
    /// and the container's <see cref="IConfiguration"/> has <see cref="PatientKeySecretConfigurationKey"/>, the engine
    /// hashes national IDs with that secret (stable across restarts); without either, with a random one per process.
    /// </para>
    /// <para>
    /// Time: when the container has a <see cref="TimeProvider"/> and <paramref name="configure"/> leaves
    /// <see cref="SlotEngineOptions.TimeProvider"/> at its default, the engine uses the container's.
    /// Calling this method again adds the configuration but registers nothing twice.
    /// </para>
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the engine's options; <see langword="null"/> for the defaults.</param>
    /// <returns>A builder for optional parts, such as <see cref="SlotEngineBuilder.AddExpiredHoldSweeper"/>.</returns>
    public static SlotEngineBuilder AddSlotEngine(this IServiceCollection services, Action<SlotEngineOptions>? configure = null)
    {
        services.AddSlotEngineOptions(configure);
        services.TryAddSingleton(static sp => new InMemorySlotEngine(sp.GetRequiredService<IOptions<SlotEngineOptions>>().Value));
        services.TryAddSingleton(static sp => sp.GetRequiredService<InMemorySlotEngine>().PatientKeys);
        services.TryAddSingleton<ISlotEngine>(static sp => new InstrumentedSlotEngine(
            sp.GetRequiredService<InMemorySlotEngine>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<ILogger<InstrumentedSlotEngine>>()));
        return new SlotEngineBuilder(services);
    }

    /// <summary>
    /// Registers <see cref="SlotEngineOptions"/> the way every engine registration does: the container's
    /// <see cref="TimeProvider"/> unless the options name one, the patient key secret from configuration
    /// (<see cref="PatientKeySecretConfigurationKey"/>) unless the options set a hasher, and validation when the host
    /// starts. <see cref="AddSlotEngine"/> and SlotEngine.Hosting.Redis's <c>AddSlotEngineRedis</c> call it; a
    /// package that registers another engine calls it too, then reads <c>IOptions&lt;SlotEngineOptions&gt;</c>.
    /// Calling it again adds <paramref name="configure"/> but registers nothing twice.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; <see langword="null"/> for none.</param>
    /// <returns>The options builder, for more configuration.</returns>
    public static OptionsBuilder<SlotEngineOptions> AddSlotEngineOptions(this IServiceCollection services, Action<SlotEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SlotEngineOptions>();
        if (!services.Any(static d => d.ServiceType == typeof(SlotEngineMarker)))
        {
            services.AddSingleton<SlotEngineMarker>();
            options.Configure<IServiceProvider>(static (o, sp) =>
            {
                if (ReferenceEquals(o.TimeProvider, TimeProvider.System) && sp.GetService<TimeProvider>() is { } time)
                {
                    o.TimeProvider = time;
                }

                if (o.PatientKeyHasher is null && sp.GetService<IConfiguration>()?[PatientKeySecretConfigurationKey] is { Length: > 0 } secret)
                {
                    o.PatientKeyHasher = HasherFromConfiguration(secret);
                }
            });
            options.ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SlotEngineOptions>, SlotEngineOptionsValidator>());
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        return options;
    }

    /// <summary>The hasher of a configured secret; a bad one fails like an invalid option, without the value in the message.</summary>
    private static PatientKeyHasher HasherFromConfiguration(string secret)
    {
        try
        {
            return PatientKeyHasher.FromSecret(secret);
        }
        catch (ArgumentException)
        {
            throw new OptionsValidationException(
                Options.DefaultName,
                typeof(SlotEngineOptions),
                [$"The configuration value {PatientKeySecretConfigurationKey} must be at least 16 bytes of UTF-8 (e.g. openssl rand -base64 32)."]);
        }
    }

    /// <summary>Says that the shared registrations are in place, so that a second call does not repeat them.</summary>
    internal sealed class SlotEngineMarker;
}
