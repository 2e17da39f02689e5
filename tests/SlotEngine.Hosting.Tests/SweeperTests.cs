using SlotEngine.TestSupport;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Hosting.Tests;

/// <summary>The hosted sweeper frees expired holds on its interval, timed by the engine's time provider.</summary>
public sealed class SweeperTests
{
    [Fact]
    public async Task The_sweeper_frees_an_expired_hold_when_fake_time_passes_its_interval()
    {
        var time = new TimerWatchingTime(Seeds.Morning);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSlotEngine().AddExpiredHoldSweeper(o => o.Interval = TimeSpan.FromSeconds(30));
        using var host = builder.Build();
        using var metrics = new MetricRecorder(host.Services.GetRequiredService<IMeterFactory>());
        var engine = host.Services.GetRequiredService<ISlotEngine>();
        var patients = host.Services.GetRequiredService<PatientKeyHasher>();
        await Seeds.SeedAsync(engine);
        var calendar = new CalendarKey(Seeds.Doctor, Seeds.Tomorrow);
        var hold = await engine.ClaimAsync(ClaimRequest.Hold(calendar, SlotRange.Single(2), patients.KeyOf(Seeds.Citizen(1)), TimeSpan.FromMinutes(1)));
        Assert.True(hold.Succeeded);
        await host.StartAsync();
        await time.FirstTimerCreated.WaitAsync(TimeSpan.FromSeconds(30));

        var swept = metrics.WaitForAsync(m => m.Instrument == SlotEngineTelemetry.HoldsExpired);
        Assert.False(swept.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(90));
        await swept.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, metrics.Of(SlotEngineTelemetry.HoldsExpired).Sum(m => m.Value));
        var snapshot = await engine.GetCalendarAsync(calendar);
        Assert.Equal(SlotStatus.Free, snapshot[2].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_sweeper_counts_an_unapproved_booking_released_at_its_deadline_apart_from_expired_holds()
    {
        var time = new TimerWatchingTime(Seeds.Morning);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSlotEngine(o => o.Approval = ApprovalPolicy.Mhrs).AddExpiredHoldSweeper(o => o.Interval = TimeSpan.FromSeconds(30));
        using var host = builder.Build();
        using var metrics = new MetricRecorder(host.Services.GetRequiredService<IMeterFactory>());
        var engine = host.Services.GetRequiredService<ISlotEngine>();
        var patients = host.Services.GetRequiredService<PatientKeyHasher>();
        await Seeds.SeedAsync(engine);
        var day = Seeds.Tomorrow.AddDays(2);
        await engine.PublishAsync(Seeds.Doctor, day, DayTemplate.Standard);
        var calendar = new CalendarKey(Seeds.Doctor, day);
        var booking = await engine.ClaimAsync(ClaimRequest.Book(calendar, SlotRange.Single(2), patients.KeyOf(Seeds.Citizen(1))));
        Assert.NotNull(booking.Reservation.HoldExpiresAt); // awaits approval
        await host.StartAsync();
        await time.FirstTimerCreated.WaitAsync(TimeSpan.FromSeconds(30));

        metrics.Collect();
        Assert.Equal(0, metrics.Latest(SlotEngineTelemetry.ApprovalsLapsed)); // an observable counter: the engine's running total
        time.SetUtcNow(booking.Reservation.HoldExpiresAt!.Value + TimeSpan.FromSeconds(1));
        time.Advance(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(
            () =>
            {
                metrics.Collect();
                return metrics.Latest(SlotEngineTelemetry.ApprovalsLapsed) == 1;
            },
            "the sweeper to release the unapproved booking");

        Assert.Equal(0, metrics.Of(SlotEngineTelemetry.HoldsExpired).Sum(m => m.Value));
        Assert.Equal(SlotStatus.Free, (await engine.GetCalendarAsync(calendar))[2].Status);
        await host.StopAsync();
    }

    /// <summary>
    /// A <see cref="FakeTimeProvider"/> that also says when the first timer exists: the sweeper creates
    /// its timer on a background thread after <c>StartAsync</c> returns, and time advanced before that
    /// would not reach it.
    /// </summary>
    private sealed class TimerWatchingTime(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private readonly TaskCompletionSource _firstTimer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstTimerCreated => _firstTimer.Task;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _firstTimer.TrySetResult();
            return timer;
        }
    }
}
