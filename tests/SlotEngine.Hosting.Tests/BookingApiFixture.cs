using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SlotEngine.Samples.BookingApi;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Hosting.Tests;

/// <summary>
/// Starts the sample booking API once per test class, on Kestrel at 127.0.0.1 on a free port, with a
/// fake clock at 10:00 on 3 June 2030 in Istanbul and every log line captured.
/// </summary>
public sealed class BookingApiFixture : IAsyncLifetime
{
    private readonly ConcurrentBag<NationalId> _citizens = [];
    private int _nextCitizen;

    public FakeTimeProvider Time { get; } = new(Seeds.Morning);

    public LogSink Logs { get; } = new();

    public WebApplication App { get; private set; } = null!;

    public MetricRecorder Metrics { get; private set; } = null!;

    public Uri Address { get; private set; } = null!;

    /// <summary>Every national ID a test used, for the no-leak checks.</summary>
    public IReadOnlyCollection<NationalId> Citizens => _citizens;

    public DateOnly Today => new(2030, 6, 3);

    /// <summary>A fresh valid national ID (each test uses its own citizens, so quotas never meet).</summary>
    public NationalId NewCitizen()
    {
        var id = NationalId.FromFirstNineDigits(500_000_000 + Interlocked.Increment(ref _nextCitizen));
        _citizens.Add(id);
        return id;
    }

    public HttpClient NewClient() => new() { BaseAddress = Address };

    public async Task InitializeAsync()
    {
        App = await BookingApp.BuildAsync(
            ["--urls", "http://127.0.0.1:0", "--environment", "Production"],
            services =>
            {
                services.AddSingleton<TimeProvider>(Time);
                services.AddLogging(b => b.AddProvider(Logs).AddFilter<LogSink>(null, LogLevel.Trace));
            });
        Metrics = new MetricRecorder(App.Services.GetRequiredService<IMeterFactory>());
        await App.StartAsync();
        var addresses = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Address = new Uri(Assert.Single(addresses));
        Assert.Equal("127.0.0.1", Address.Host);
    }

    public async Task DisposeAsync()
    {
        await App.StopAsync();
        Metrics.Dispose();
        await App.DisposeAsync();
    }
}
