using System.Runtime.InteropServices;
using System.Text.Json;
using SlotEngine.LoadTest.Metrics;
using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Reports;

/// <summary>
/// The machine-readable report (<c>--json PATH</c>). Field names are snake_case and stable: CI and
/// dashboards read <c>bookings_per_second</c>, <c>double_bookings</c>, <c>invariant_violations</c>
/// and each operation's <c>count</c>, <c>per_second</c>, <c>p50_us</c>, <c>p99_us</c>,
/// <c>p999_us</c>, <c>max_us</c>; the page and <c>compare</c> read it back
/// (<see cref="RunDocument"/>). Written section by section, each in its own method (and the
/// <c>timeline</c> in <see cref="TimelineJson"/>), so a backend's own object (e.g. <c>redis</c>)
/// is one more section beside them.
/// </summary>
internal static class JsonReport
{
    /// <summary>Writes the report.</summary>
    /// <param name="path">The file.</param>
    /// <param name="result">The run's result.</param>
    public static void Write(string path, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = File.Create(path);
        Write(stream, result);
    }

    /// <summary>The report as UTF-8 bytes (for the page, which is drawn from the report).</summary>
    /// <param name="result">The run's result.</param>
    /// <returns>The JSON.</returns>
    public static byte[] ToBytes(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = new MemoryStream();
        Write(stream, result);
        return stream.ToArray();
    }

    /// <summary>Writes the report to a stream, section by section.</summary>
    /// <param name="stream">The stream.</param>
    /// <param name="result">The run's result.</param>
    public static void Write(Stream stream, RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        WriteSummary(json, result);
        WriteCosts(json, result);
        WriteSettings(json, result);
        WriteOperations(json, result);
        WriteUntimedCalls(json, result.Stats);
        WriteInvariants(json, result);
        TimelineJson.Write(json, result.Timeline);
        RedisReportSection.Write(json, result);
        json.WriteEndObject();
    }

    private static void WriteSummary(Utf8JsonWriter json, RunResult result)
    {
        var s = result.Settings;
        var stats = result.Stats;
        json.WriteString("tool", "slotengine-load");
        json.WriteString("scenario", "nationwide");
        json.WriteString("backend", Backends.Name(s.Backend));
        json.WriteNumber("bookings", stats.Bookings);
        json.WriteNumber("elapsed_seconds", Math.Round(result.ElapsedSeconds, 6));
        json.WriteNumber("bookings_per_second", Math.Round(result.BookingsPerSecond, 1));
        json.WriteNumber("double_bookings", result.Invariants.DoubleBookings);
        json.WriteNumber("invariant_violations", result.Invariants.Violations);
        json.WriteNumber("exit_code", result.ExitCode);
        LifecycleJson.Write(json, result.Lifecycle);
        json.WriteString("rules_off", result.Settings.RulesOff.ToString()); // --rule-off, "None" when every rule ran
        WaitlistJson.Write(json, result.Waitlist);
        RushJson.Write(json, result.Rush);
        RescheduleJson.Write(json, result.Reschedule);
        json.WriteBoolean("interrupted", result.Interrupted);
        json.WriteString("stalled", result.Stalled); // null unless the run stalled (exit code 3)
        json.WriteNumber("setup_seconds", Math.Round(result.SetupSeconds, 3));
        json.WriteNumber("check_seconds", Math.Round(result.CheckSeconds, 3));
        json.WriteNumber("citizens_arrived", stats.Citizens);
        json.WriteNumber("walk_aways", stats.WalkAways);
        json.WriteNumber("cancelled", stats.Cancelled);
        json.WriteNumber("cancels_not_yet_due", result.CancelsPending);
        json.WriteNumber("fill_ratio", Math.Round(result.FillRatio, 6));
        json.WriteNumber("mhrs_day_seconds", result.BookingsPerSecond > 0 ? Math.Round(LoadSettings.MhrsDay / result.BookingsPerSecond, 3) : 0);
        json.WriteString("scenario_start", result.ScenarioTime.Start);
        json.WriteString("scenario_end", result.ScenarioTime.End.ToOffset(result.ScenarioTime.Start.Offset));
        json.WriteStartArray("errors");
        foreach (var error in result.Stats.Errors)
        {
            json.WriteStringValue(error);
        }

        json.WriteEndArray();
    }

    private static void WriteCosts(Utf8JsonWriter json, RunResult result)
    {
        json.WriteStartObject("gc");
        json.WriteNumber("gen0", result.Gc.Gen0);
        json.WriteNumber("gen1", result.Gc.Gen1);
        json.WriteNumber("gen2", result.Gc.Gen2);
        json.WriteNumber("paused_seconds", Math.Round(result.Gc.Paused.TotalSeconds, 4));
        json.WriteNumber("allocated_bytes", result.Gc.AllocatedBytes);
        json.WriteNumber("allocated_bytes_per_booking", Math.Round(result.BytesPerBooking, 1));
        json.WriteString("mode", result.Gc.GcMode);
        json.WriteEndObject();
        json.WriteNumber("cpu_seconds", Math.Round(result.Gc.Cpu.TotalSeconds, 3));
        json.WriteNumber("cpu_us_per_booking", Math.Round(result.CpuMicrosPerBooking, 3));
        if (result.Hops is { } hops && result.Stats.Bookings > 0)
        {
            // Hand-offs between threads per booking (Run/ThreadHops.cs); context switches are -1 where not known.
            double PerBooking(long count) => count < 0 ? -1 : Math.Round((double)count / result.Stats.Bookings, 3);
            json.WriteStartObject("threads");
            json.WriteNumber("pool_items_per_booking", PerBooking(hops.PoolItems));
            json.WriteNumber("voluntary_switches_per_booking", PerBooking(hops.VoluntarySwitches));
            json.WriteNumber("involuntary_switches_per_booking", PerBooking(hops.InvoluntarySwitches));
            json.WriteNumber("pool_threads", ThreadPool.ThreadCount);
            json.WriteNumber("jit_us_per_booking", Math.Round(hops.JitTime.TotalMicroseconds / result.Stats.Bookings, 3)); // compiling (elapsed, so preemption too), mostly inside cpu_us_per_booking
            json.WriteNumber("jit_methods", hops.JitMethods);
            if (result.Settings.Backend == BackendKind.Redis)
            {
                json.WriteString("redis_client_threads", result.Settings.RedisStoreSockets ? "store" : result.Settings.RedisDedicatedThreads ? "dedicated" : "pool"); // --redis-threads
                if (result.Settings.RedisScriptsInFlight is { } inFlight)
                {
                    json.WriteNumber("redis_scripts_in_flight", inFlight); // --redis-scripts-in-flight (0: no bound); absent: the store's default
                }
            }
            json.WriteEndObject();
        }

        json.WriteNumber("generator_cpu_us_per_booking", Math.Round(result.Generator?.GeneratorCpuMicrosPerBooking ?? 0, 3));
        json.WriteNumber("engine_cpu_us_per_booking", Math.Round(result.Generator?.EngineCpuMicrosPerBooking ?? result.CpuMicrosPerBooking, 3));
        json.WriteNumber("sampler_cpu_us_per_booking", Math.Round(result.Generator?.BackgroundCpuMicrosPerBooking ?? 0, 3));
        if (result.Generator is { BytesSplitHolds: false })
        {
            // Not measurable per thread on an async backend (GeneratorCost.BytesSplitHolds): gc.allocated_bytes_per_booking is the figure.
            json.WriteNull("engine_allocated_bytes_per_booking");
            json.WriteNull("generator_allocated_bytes_per_booking");
        }
        else
        {
            json.WriteNumber("engine_allocated_bytes_per_booking", Math.Round(result.Generator?.EngineBytesPerBooking ?? 0, 1));
            json.WriteNumber("generator_allocated_bytes_per_booking", Math.Round(result.Generator?.GeneratorBytesPerBooking ?? 0, 1));
        }
        json.WriteStartObject("setup");
        foreach (var (step, seconds) in result.SetupSteps)
        {
            json.WriteNumber(step.Replace(' ', '_'), Math.Round(seconds, 3));
        }

        json.WriteEndObject();
        if (result.Settings.Warmup > TimeSpan.Zero)
        {
            // Before the measured window (--warmup): its bookings are recounted, not in the per-booking figures above.
            json.WriteStartObject("warmup");
            json.WriteNumber("seconds", Math.Round(result.Warmup.Seconds, 3));
            json.WriteNumber("bookings", result.Warmup.Bookings);
            json.WriteNumber("jit_methods", result.Warmup.JitMethods);
            json.WriteEndObject();
        }
    }

    private static void WriteSettings(Utf8JsonWriter json, RunResult result)
    {
        var s = result.Settings;
        json.WriteStartObject("settings");
        json.WriteNumber("providers", s.Providers);
        json.WriteNumber("facilities", result.Scale.Facilities);
        json.WriteNumber("clinics", result.Scale.Clinics);
        json.WriteNumber("citizens", result.Scale.Citizens);
        json.WriteNumber("largest_search_group", result.LargestGroup);
        json.WriteNumber("days_open", s.DaysOpen);
        json.WriteNumber("slot_minutes", s.SlotLength.TotalMinutes);
        json.WriteNumber("seats", s.TotalSeats);
        if (s.Duration is { } duration)
        {
            json.WriteNumber("duration_seconds", duration.TotalSeconds);
        }

        if (s.BookingsTarget is { } target)
        {
            json.WriteNumber("bookings_target", target);
        }

        json.WriteNumber("concurrency", s.Concurrency);
        json.WriteString("loop", s.Rate is null ? "closed" : "open");
        if (s.Rate is { } rate)
        {
            json.WriteNumber("rate", rate);
        }

        json.WriteNumber("seed", s.Seed);
        json.WriteNumber("rush_share", s.RushShare);
        json.WriteEndObject();

        json.WriteStartObject("machine");
        json.WriteNumber("cores", Environment.ProcessorCount);
        json.WriteString("os", RuntimeInformation.OSDescription);
        json.WriteString("runtime", RuntimeInformation.FrameworkDescription);
        json.WriteString("architecture", RuntimeInformation.ProcessArchitecture.ToString());
        json.WriteString("call_timer", CallClock.Source); // what timed each engine call: "tsc" or "stopwatch"
        json.WriteEndObject();
    }

    /// <summary>The engine calls outside the operations table (<see cref="UntimedCall"/>): count, a booking, and mean time.</summary>
    private static void WriteUntimedCalls(Utf8JsonWriter json, WorkerStats stats)
    {
        json.WriteStartObject("untimed_calls");
        foreach (var call in UntimedCalls.All)
        {
            var (count, nanos) = stats.Untimed(call);
            json.WriteStartObject(UntimedCalls.Name(call));
            json.WriteNumber("count", count);
            json.WriteNumber("per_booking", stats.Bookings > 0 ? Math.Round((double)count / stats.Bookings, 4) : 0);
            json.WriteNumber("mean_us", count > 0 ? Math.Round(nanos / 1000.0 / count, 3) : 0);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteOperations(Utf8JsonWriter json, RunResult result)
    {
        var stats = result.Stats;
        json.WriteStartObject("operations");
        for (var i = 0; i < OperationNames.Count; i++)
        {
            var h = stats.Latency[i];
            json.WriteStartObject(OperationNames.Name((Operation)i));
            json.WriteNumber("count", h.TotalCount);
            json.WriteNumber("per_second", result.ElapsedSeconds > 0 ? Math.Round(h.TotalCount / result.ElapsedSeconds, 1) : 0);
            json.WriteNumber("mean_us", Math.Round(h.Mean / 1000.0, 3));
            json.WriteNumber("p50_us", Micros(h.ValueAtPercentile(50)));
            json.WriteNumber("p90_us", Micros(h.ValueAtPercentile(90)));
            json.WriteNumber("p99_us", Micros(h.ValueAtPercentile(99)));
            json.WriteNumber("p999_us", Micros(h.ValueAtPercentile(99.9)));
            json.WriteNumber("max_us", Micros(h.Max));
            json.WriteStartObject("failures");
            for (var r = 0; r < OperationNames.ReasonCount; r++)
            {
                var count = stats.Failures((Operation)i, (FailureReason)r);
                if (count > 0)
                {
                    json.WriteNumber(OperationNames.Name((FailureReason)r), count);
                }
            }

            json.WriteEndObject();

            // The whole curve, as in an .hgrm file: [percentile, microseconds] pairs.
            json.WriteStartArray("latency_by_percentile");
            foreach (var (percentile, micros) in h.PercentileCurve())
            {
                json.WriteStartArray();
                json.WriteNumberValue(Math.Round(percentile, 6));
                json.WriteNumberValue(Math.Round(micros, 3));
                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteInvariants(Utf8JsonWriter json, RunResult result)
    {
        json.WriteStartObject("invariants");
        json.WriteNumber("ledger_bookings", result.Invariants.LedgerBookings);
        json.WriteNumber("engine_booked_seats", result.Invariants.EngineBookedSeats);
        json.WriteNumber("calendars_recounted", result.Invariants.CalendarsRecounted);
        json.WriteNumber("calendars_checked_free", result.Invariants.CalendarsCheckedFree);
        json.WriteStartObject("problems");
        foreach (var (kind, count) in result.Invariants.Problems)
        {
            json.WriteNumber(kind, count);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static double Micros(long nanos) => Math.Round(nanos / 1000.0, 3);
}
