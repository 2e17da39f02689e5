using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// The CPU time the calling thread has used (user + kernel), for charging a generator's background
/// thread (the timeline sampler) to the generator rather than to the engine. On Linux it is the
/// kernel's per-thread clock (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, nanoseconds); elsewhere,
/// or if that call fails, <see cref="IsThreadClock"/> is false and callers fall back to timing
/// their work with a <see cref="Stopwatch"/> (wall time: an upper bound of the CPU time).
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    /// <summary>Whether <see cref="Now"/> reads a per-thread CPU clock on this platform.</summary>
    public static bool IsThreadClock { get; } = Probe();

    /// <summary>The calling thread's CPU time so far, or <see cref="TimeSpan.Zero"/> without a thread clock.</summary>
    /// <returns>CPU time used by this thread.</returns>
    public static TimeSpan Now()
    {
        if (!IsThreadClock || NativeMethods.clock_gettime(ClockThreadCpuTimeId, out var time) != 0)
        {
            return TimeSpan.Zero;
        }

        return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
    }

    /// <summary>
    /// The calling thread's CPU seconds so far; without a thread clock, the whole process's (for a
    /// single-threaded measurement such as the benchmarks' cost reports, the same thing).
    /// </summary>
    /// <returns>CPU seconds.</returns>
    public static double ThreadOrProcessSeconds() =>
        IsThreadClock ? Now().TotalSeconds : Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return NativeMethods.clock_gettime(ClockThreadCpuTimeId, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int clock_gettime(int clockId, out TimeSpec time);
    }
}
