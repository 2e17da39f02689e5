using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Hosting.Tests;

/// <summary>What AddSlotEngine registers, and how bad options stop start-up.</summary>
public sealed class AddSlotEngineTests
{
    [Fact]
    public void Registers_one_instrumented_engine_over_the_in_memory_engine_with_its_patient_keys()
    {
        var services = new ServiceCollection();
        services.AddSlotEngine(o => o.BookingHorizonDays = 20);
        using var provider = services.BuildServiceProvider();

        var engine = provider.GetRequiredService<ISlotEngine>();
        var instrumented = Assert.IsType<InstrumentedSlotEngine>(engine);
        var inMemory = provider.GetRequiredService<InMemorySlotEngine>();
        Assert.Same(inMemory, instrumented.Inner);
        Assert.Same(engine, provider.GetRequiredService<ISlotEngine>());
        Assert.Same(inMemory.PatientKeys, provider.GetRequiredService<PatientKeyHasher>());
        Assert.Equal(20, engine.Options.BookingHorizonDays);
        Assert.Same(inMemory.Directory, engine.Directory);
    }

    [Fact]
    public void A_second_call_adds_its_configuration_but_registers_nothing_twice()
    {
        var services = new ServiceCollection();
        services.AddSlotEngine(o => o.BookingHorizonDays = 20);
        services.AddSlotEngine(o => o.MaxHoldDuration = TimeSpan.FromMinutes(3));

        Assert.Single(services, d => d.ServiceType == typeof(ISlotEngine));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<SlotEngineOptions>));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<ISlotEngine>().Options;
        Assert.Equal(20, options.BookingHorizonDays);
        Assert.Equal(TimeSpan.FromMinutes(3), options.MaxHoldDuration);
    }

    [Fact]
    public void The_engine_takes_the_containers_time_provider_unless_the_options_name_one()
    {
        var fromContainer = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(fromContainer);
        services.AddSlotEngine();
        using (var provider = services.BuildServiceProvider())
        {
            Assert.Same(fromContainer, provider.GetRequiredService<ISlotEngine>().Options.TimeProvider);
        }

        var explicitTime = new FakeTimeProvider(new DateTimeOffset(2031, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var second = new ServiceCollection();
        second.AddSingleton<TimeProvider>(fromContainer);
        second.AddSlotEngine(o => o.TimeProvider = explicitTime);
        using var secondProvider = second.BuildServiceProvider();
        Assert.Same(explicitTime, secondProvider.GetRequiredService<ISlotEngine>().Options.TimeProvider);
    }

    public static TheoryData<string, Action<SlotEngineOptions>> BadOptions => new()
    {
        { "BookingHorizonDays", o => o.BookingHorizonDays = 400 },
        { "EarliestBookableDayOffset", o => o.EarliestBookableDayOffset = -1 },
        { "PatientCancelCutoff", o => o.PatientCancelCutoff = TimeSpan.FromMinutes(-1) },
        { "MaxHoldDuration", o => o.MaxHoldDuration = TimeSpan.Zero },
        { "MaxOpenDaysPerProvider", o => o.MaxOpenDaysPerProvider = 0 },
        { "IdempotencyRetention", o => o.IdempotencyRetention = TimeSpan.Zero },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task A_bad_option_stops_host_start_up_with_a_message_naming_it(string option, Action<SlotEngineOptions> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngine(configure);
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var validation = Assert.IsType<OptionsValidationException>(Unwrap(error));
        Assert.Equal(typeof(SlotEngineOptions), validation.OptionsType);
        Assert.Contains("SlotEngineOptions." + option, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_sweeper_interval_stops_host_start_up_with_a_message_naming_it()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngine().AddExpiredHoldSweeper(o => o.Interval = TimeSpan.Zero);
        using var host = builder.Build();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        var validation = Assert.IsType<OptionsValidationException>(Unwrap(error));
        Assert.Contains("ExpiredHoldSweeperOptions.Interval", validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_host_the_first_resolve_of_the_engine_reports_the_bad_option()
    {
        var services = new ServiceCollection();
        services.AddSlotEngine(o => o.MaxOpenDaysPerProvider = 5000);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ISlotEngine>());
        Assert.Contains("SlotEngineOptions.MaxOpenDaysPerProvider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Good_options_start_the_host_and_the_sweeper()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSlotEngine().AddExpiredHoldSweeper();
        using var host = builder.Build();

        await host.StartAsync();
        var sweeper = Assert.Single(host.Services.GetServices<IHostedService>(), s => s is ExpiredHoldSweeper);
        await host.StopAsync();
        Assert.NotNull(sweeper);
    }

    private static Exception Unwrap(Exception error) =>
        error is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : error;
}
