using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace SlotEngine.Hosting;

/// <summary>
/// The meter, its instruments and the activity source. One per <see cref="InstrumentedSlotEngine"/>;
/// the meter comes from the host's <see cref="IMeterFactory"/> when there is one (so that each
/// container has its own), otherwise it is created and owned here.
/// </summary>
internal sealed class SlotEngineInstruments : IDisposable
{
    /// <summary>Shared by every engine in the process, as .NET libraries do.</summary>
    public static readonly ActivitySource ActivitySource = new(SlotEngineTelemetry.ActivitySourceName, Version);

    /// <summary>Bucket boundaries for in-memory claims (sub-microsecond) up to Redis round trips (milliseconds) and worse.</summary>
    private static readonly IReadOnlyList<double> DurationBuckets =
        [0.000_001, 0.000_005, 0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly bool _ownsMeter;

    /// <param name="meterFactory">Creates the meter; null to create (and own) one.</param>
    /// <param name="unapprovedReleased">The engine's count of unapproved bookings released at their deadline (monotonic).</param>
    public SlotEngineInstruments(IMeterFactory? meterFactory, Func<long> unapprovedReleased)
    {
        var options = new MeterOptions(SlotEngineTelemetry.MeterName) { Version = Version };
        Meter = meterFactory?.Create(options) ?? new Meter(options);
        _ownsMeter = meterFactory is null;
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        Claims = Meter.CreateCounter<long>(SlotEngineTelemetry.Claims, "{claim}", "Holds, books, confirms, releases and cancels, by operation and status.");
        ClaimDuration = Meter.CreateHistogram(SlotEngineTelemetry.ClaimDuration, "s", "How long a hold or book took.", advice: advice);
        ConfirmDuration = Meter.CreateHistogram(SlotEngineTelemetry.ConfirmDuration, "s", "How long a confirm took.", advice: advice);
        ReleaseDuration = Meter.CreateHistogram(SlotEngineTelemetry.ReleaseDuration, "s", "How long a release or cancel took.", advice: advice);
        QueryDuration = Meter.CreateHistogram(SlotEngineTelemetry.QueryDuration, "s", "How long a query took.", advice: advice);
        HoldsExpired = Meter.CreateCounter<long>(SlotEngineTelemetry.HoldsExpired, "{hold}", "Expired holds reclaimed by sweeps.");
        // Observed, not added to: lapses happen inside the engine (a claim's lazy reclaim, a sweep, a block, a waitlist
        // offer), and the engine counts each once where its CAS or script released it; the counter reports that total.
        ApprovalsLapsed = Meter.CreateObservableCounter(SlotEngineTelemetry.ApprovalsLapsed, unapprovedReleased, "{booking}", "Unapproved bookings released at their approval deadline, by any path.");
        ClaimsDisplaced = Meter.CreateCounter<long>(SlotEngineTelemetry.ClaimsDisplaced, "{claim}", "Holds and bookings removed by blocks and withdrawals.");
    }

    public static string Version { get; } =
        typeof(SlotEngineInstruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public Meter Meter { get; }

    public Counter<long> Claims { get; }

    public Histogram<double> ClaimDuration { get; }

    public Histogram<double> ConfirmDuration { get; }

    public Histogram<double> ReleaseDuration { get; }

    public Histogram<double> QueryDuration { get; }

    public Counter<long> HoldsExpired { get; }

    public ObservableCounter<long> ApprovalsLapsed { get; }

    public Counter<long> ClaimsDisplaced { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            Meter.Dispose();
        }
    }
}
