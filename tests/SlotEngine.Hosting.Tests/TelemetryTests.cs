using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Hosting.Tests;

/// <summary>Metrics, traces and logs of the instrumented engine: names, tags, and never a national ID.</summary>
public sealed class TelemetryTests : IDisposable
{
    private static readonly ActivitySource TestSource = new("SlotEngine.Hosting.Tests");

    private readonly FakeTimeProvider _time = new(Seeds.Morning);
    private readonly LogSink _logs = new();
    private readonly ServiceProvider _provider;
    private readonly MetricRecorder _metrics;
    private readonly ISlotEngine _engine;
    private readonly PatientKeyHasher _patients;

    public TelemetryTests()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace));
        services.AddSingleton<TimeProvider>(_time);
        services.AddSlotEngine();
        _provider = services.BuildServiceProvider();
        _metrics = new MetricRecorder(_provider.GetRequiredService<IMeterFactory>());
        _engine = _provider.GetRequiredService<ISlotEngine>();
        _patients = _provider.GetRequiredService<PatientKeyHasher>();
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _provider.Dispose();
    }

    [Fact]
    public async Task Claims_are_counted_by_operation_and_status_and_timed_in_seconds()
    {
        await Seeds.SeedAsync(_engine);
        var calendar = new CalendarKey(Seeds.Doctor, Seeds.Tomorrow);
        var first = _patients.KeyOf(Seeds.Citizen(1));
        var second = _patients.KeyOf(Seeds.Citizen(2));

        var hold = await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(0), first, TimeSpan.FromMinutes(5)));
        var taken = await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(0), second, TimeSpan.FromMinutes(5)));
        await Assert.ThrowsAsync<SlotEngineArgumentException>(() =>
            _engine.ClaimAsync(ClaimRequest.Book(new CalendarKey(new ProviderId(999), Seeds.Tomorrow), SlotRange.Single(0), second)).AsTask());
        var confirmed = await _engine.ConfirmAsync(hold.Reservation);
        var cancelled = await _engine.CancelAsync(confirmed.Reservation, CancelActor.Patient);

        Assert.True(hold.Succeeded);
        Assert.Equal(ClaimStatus.Taken, taken.Status);
        Assert.True(cancelled.Succeeded);
        var claims = _metrics.Of(SlotEngineTelemetry.Claims)
            .Select(m => (m.Tag(SlotEngineTelemetry.OperationTag), m.Tag(SlotEngineTelemetry.ClaimStatusTag), m.Tag(SlotEngineTelemetry.ErrorTypeTag), m.Value))
            .ToList();
        Assert.Equal(
            [
                ("hold", "succeeded", null, 1),
                ("hold", "taken", null, 1),
                ("book", "invalid", "unknown_provider", 1),
                ("confirm", "succeeded", null, 1),
                ("cancel", "succeeded", null, 1),
            ],
            claims);
        Assert.All(_metrics.Of(SlotEngineTelemetry.Claims), m => Assert.Equal("{claim}", m.Unit));

        var holdTimes = _metrics.Of(SlotEngineTelemetry.ClaimDuration).ToList();
        Assert.Equal(3, holdTimes.Count);
        Assert.All(holdTimes, m => Assert.Equal("s", m.Unit));
        Assert.All(holdTimes, m => Assert.InRange(m.Value, 0, double.MaxValue));
        Assert.Single(_metrics.Of(SlotEngineTelemetry.ConfirmDuration));
        Assert.Equal("cancel", Assert.Single(_metrics.Of(SlotEngineTelemetry.ReleaseDuration)).Tag(SlotEngineTelemetry.OperationTag));
    }

    [Fact]
    public async Task Queries_are_timed_and_swept_holds_are_counted()
    {
        await Seeds.SeedAsync(_engine);
        var calendar = new CalendarKey(Seeds.OtherDoctor, Seeds.Tomorrow);
        await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(3), _patients.KeyOf(Seeds.Citizen(3)), TimeSpan.FromMinutes(1)));
        await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(4), _patients.KeyOf(Seeds.Citizen(4)), TimeSpan.FromMinutes(1)));
        await _engine.FindEarliestAsync(EarliestQuery.ForClinic(Seeds.Clinic, Seeds.Tomorrow, Seeds.Tomorrow));

        _time.Advance(TimeSpan.FromMinutes(2));
        var swept = await _engine.SweepExpiredHoldsAsync();

        Assert.Equal(2, swept.Count);
        Assert.Equal(2, _metrics.Of(SlotEngineTelemetry.HoldsExpired).Sum(m => m.Value));
        Assert.Equal("earliest", Assert.Single(_metrics.Of(SlotEngineTelemetry.QueryDuration)).Tag(SlotEngineTelemetry.QueryTag));
        Assert.Contains(_logs.Lines, l => l.Contains("Swept 2 expired hold(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Traces_name_the_operation_and_its_status()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is SlotEngineTelemetry.ActivitySourceName or "SlotEngine.Hosting.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await Seeds.SeedAsync(_engine);
        var calendar = new CalendarKey(Seeds.Doctor, Seeds.Tomorrow);
        ActivityTraceId trace;
        using (var parent = TestSource.StartActivity("test"))
        {
            Assert.NotNull(parent);
            trace = parent.TraceId;
            var hold = await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(7), _patients.KeyOf(Seeds.Citizen(5)), TimeSpan.FromMinutes(5)));
            await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(7), _patients.KeyOf(Seeds.Citizen(6)), TimeSpan.FromMinutes(5)));
            await _engine.ConfirmAsync(hold.Reservation);
        }

        var ours = stopped.Where(a => a.TraceId == trace && a.Source.Name == SlotEngineTelemetry.ActivitySourceName).ToList();
        Assert.Equal(["slotengine.hold", "slotengine.hold", "slotengine.confirm"], ours.Select(a => a.OperationName));
        Assert.Equal(["succeeded", "taken", "succeeded"], ours.Select(a => a.GetTagItem(SlotEngineTelemetry.ClaimStatusTag)));
        Assert.All(ours, a => Assert.Equal(Seeds.Doctor.Value, a.GetTagItem("slotengine.provider.id")));
        Assert.All(ours, a => Assert.Equal("2030-06-04", a.GetTagItem("slotengine.calendar.day")));
        AssertNoPersonalData(ours.SelectMany(a => a.TagObjects).Select(t => $"{t.Key}={t.Value}"), Seeds.Citizen(5), Seeds.Citizen(6));
    }

    [Fact]
    public async Task No_national_id_or_patient_key_reaches_a_log_line_or_a_metric_tag()
    {
        await Seeds.SeedAsync(_engine);
        var calendar = new CalendarKey(Seeds.Doctor, Seeds.Tomorrow);
        var citizens = Enumerable.Range(10, 4).Select(Seeds.Citizen).ToArray();
        var results = new List<ClaimResult>();
        foreach (var citizen in citizens)
        {
            results.Add(await _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(9), _patients.KeyOf(citizen), TimeSpan.FromMinutes(1))));
        }

        var winner = Assert.Single(results, r => r.Succeeded);
        var booking = await _engine.ConfirmAsync(winner.Reservation);
        await _engine.CancelAsync(booking.Reservation, CancelActor.Administrator);
        await Assert.ThrowsAsync<SlotEngineArgumentException>(() =>
            _engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(9), _patients.KeyOf(citizens[0]), TimeSpan.FromDays(3))).AsTask());
        await _engine.BlockAsync(calendar, new SlotRange(0, 12));

        Assert.NotEmpty(_logs.Lines);
        Assert.Contains(_logs.Lines, l => l.Contains("refused: Taken", StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, l => l.Contains("InvalidHoldDuration", StringComparison.Ordinal));
        AssertNoPersonalData(_logs.Lines, citizens);
        AssertNoPersonalData(_metrics.Measurements.SelectMany(m => m.Tags).Select(t => $"{t.Key}={t.Value}"), citizens);
    }

    /// <summary>Neither the 11 digits nor the patient key (hex or decimal) may appear.</summary>
    private void AssertNoPersonalData(IEnumerable<string> texts, params NationalId[] citizens)
    {
        var all = string.Join('\n', texts);
        foreach (var citizen in citizens)
        {
            var key = _patients.KeyOf(citizen).Value;
            Assert.DoesNotContain(citizen.Digits, all, StringComparison.Ordinal);
            Assert.DoesNotContain(citizen.Value.ToString(CultureInfo.InvariantCulture), all, StringComparison.Ordinal);
            Assert.DoesNotContain(key.ToString("x16", CultureInfo.InvariantCulture), all, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(key.ToString(CultureInfo.InvariantCulture), all, StringComparison.Ordinal);
        }
    }
}
