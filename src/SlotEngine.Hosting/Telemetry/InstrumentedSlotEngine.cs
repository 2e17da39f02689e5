using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SlotEngine.Hosting;

/// <summary>
/// Wraps any <see cref="ISlotEngine"/> (in memory or Redis) with logging, metrics and traces, and
/// changes nothing else: every call goes to the inner engine and its result or exception comes back
/// as it was. <see cref="SlotEngineServiceCollectionExtensions.AddSlotEngine"/> registers one around
/// the engine it creates. Thread-safe.
/// </summary>
/// <remarks>
/// Metrics go to the meter <see cref="SlotEngineTelemetry.MeterName"/>, traces to the activity source
/// <see cref="SlotEngineTelemetry.ActivitySourceName"/>; see <see cref="SlotEngineTelemetry"/> for the
/// instruments. Logs, tags and traces name calendars, slots, tokens and statuses, never a patient.
/// When nobody listens, the cost per call is a timestamp and a few enabled-checks.
/// </remarks>
public sealed partial class InstrumentedSlotEngine : ISlotEngine, IDisposable
{
    private readonly ISlotEngine _inner;
    private readonly SlotEngineInstruments _instruments;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Wraps an engine.</summary>
    /// <param name="inner">The engine that does the work.</param>
    /// <param name="meterFactory">Creates the meter; <see langword="null"/> to create a private one (disposed with this object).</param>
    /// <param name="logger">Where log lines go; <see langword="null"/> for none.</param>
    public InstrumentedSlotEngine(ISlotEngine inner, IMeterFactory? meterFactory = null, ILogger<InstrumentedSlotEngine>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _instruments = new SlotEngineInstruments(meterFactory, () => inner.UnapprovedReleased);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = inner.Options.TimeProvider;
    }

    /// <summary>The wrapped engine.</summary>
    public ISlotEngine Inner => _inner;

    /// <inheritdoc />
    public SlotDirectory Directory => _inner.Directory;

    /// <inheritdoc />
    public SlotEngineOptions Options => _inner.Options;

    /// <inheritdoc />
    public DateOnly Today => _inner.Today;

    /// <inheritdoc />
    /// <remarks>The inner engine's count; the metric <see cref="SlotEngineTelemetry.ApprovalsLapsed"/> observes it.</remarks>
    public long UnapprovedReleased => _inner.UnapprovedReleased;

    /// <summary>Disposes the meter when this object created it; the inner engine is left alone.</summary>
    public void Dispose() => _instruments.Dispose();

    private void RecordClaim(Histogram<double> duration, string operation, string status, string? error, long started)
    {
        var tags = new TagList
        {
            { SlotEngineTelemetry.OperationTag, operation },
            { SlotEngineTelemetry.ClaimStatusTag, status },
        };
        if (error is not null)
        {
            tags.Add(SlotEngineTelemetry.ErrorTypeTag, error);
        }

        _instruments.Claims.Add(1, tags);
        if (duration.Enabled)
        {
            duration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    private static Activity? StartActivity(string name, CalendarKey calendar)
    {
        var activity = SlotEngineInstruments.ActivitySource.StartActivity(name);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("slotengine.provider.id", calendar.Provider.Value);
            activity.SetTag("slotengine.calendar.day", calendar.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }

        return activity;
    }

    private static void SetSlots(Activity? activity, SlotRange slots)
    {
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("slotengine.slot.first", slots.First);
            activity.SetTag("slotengine.slot.count", slots.Length);
        }
    }

    private static void SetError(Activity? activity, string errorType, string description)
    {
        if (activity is not null)
        {
            activity.SetTag(SlotEngineTelemetry.ErrorTypeTag, errorType);
            activity.SetStatus(ActivityStatusCode.Error, description);
        }
    }
}
