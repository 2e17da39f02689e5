using System.Diagnostics;
using System.Runtime;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// What the load cost the process beyond wall time: garbage collections and their pauses, bytes
/// allocated, and CPU time (user + kernel, all threads: workers, collector, JIT, the live display).
/// CPU time per booking is the number to read on a shared machine: other processes stretch the
/// wall clock, not this process's CPU seconds.
/// </summary>
/// <param name="Gen0">Gen0 collections.</param>
/// <param name="Gen1">Gen1 collections.</param>
/// <param name="Gen2">Gen2 (full) collections.</param>
/// <param name="Paused">Time the runtime was paused for collections.</param>
/// <param name="AllocatedBytes">Bytes allocated by all threads.</param>
/// <param name="Cpu">Process CPU time.</param>
/// <param name="GcMode">The collector's configuration, e.g. "server, non-concurrent, SustainedLowLatency".</param>
internal sealed record LoadCost(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long AllocatedBytes, TimeSpan Cpu, string GcMode)
{
    /// <summary>The collector's configuration now, e.g. "server (2 heaps, DATAS), non-concurrent, Interactive".</summary>
    public static string CurrentGcMode
    {
        get
        {
            var config = GC.GetConfigurationVariables();
            string Get(string key) => config.TryGetValue(key, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "" : "";
            var server = GCSettings.IsServerGC
                ? $"server ({Get("HeapCount")} heaps{(Get("GCDynamicAdaptationMode") == "1" ? ", DATAS" : "")})"
                : "workstation";
            var concurrent = Get("ConcurrentGC") == "False" ? "non-concurrent" : "concurrent";
            var retain = Get("RetainVM") == "True" ? ", RetainVM" : "";
            return $"{server}, {concurrent}{retain}, {GCSettings.LatencyMode}";
        }
    }

    /// <summary>A reading of the counters, to subtract from a later one.</summary>
    /// <returns>The counters since the process started.</returns>
    public static LoadCost Read()
    {
        using var process = Process.GetCurrentProcess();
        return new LoadCost(
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GC.GetTotalPauseDuration(),
            GC.GetTotalAllocatedBytes(precise: false),
            process.TotalProcessorTime,
            CurrentGcMode);
    }

    /// <summary>What happened between an earlier reading and this one.</summary>
    /// <param name="before">The earlier reading.</param>
    /// <returns>The difference (with this reading's mode).</returns>
    public LoadCost Since(LoadCost before)
    {
        ArgumentNullException.ThrowIfNull(before);
        return new LoadCost(
            Gen0 - before.Gen0,
            Gen1 - before.Gen1,
            Gen2 - before.Gen2,
            Paused - before.Paused,
            AllocatedBytes - before.AllocatedBytes,
            Cpu - before.Cpu,
            GcMode);
    }
}
