using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SlotEngine.LoadTest.Metrics;

/// <summary>
/// The timestamps a worker takes around every engine call (six to eight per booking). On Linux
/// x64, where the kernel itself keeps time with the CPU's time-stamp counter (current clock source
/// <c>tsc</c>: the kernel chose it only after finding it invariant and synchronised across cores),
/// the counter is read directly with <c>RDTSC</c>; everywhere else, <see cref="Stopwatch.GetTimestamp"/>.
/// </summary>
/// <remarks>
/// <para>
/// Why: on this project's VM <see cref="Stopwatch.GetTimestamp"/> costs 136–180 ns (the runtime's
/// P/Invoke into <c>clock_gettime</c>, itself 80–110 ns here), <c>RDTSC</c> 23–39 ns and
/// <see cref="Now"/> with its call 72–87 ns (same loop, loaded machine): at about ten timestamps per
/// booking the Stopwatch was most of the generator's 1.6 µs per booking (docs/load-generator.md,
/// "The generator's own cost").
/// </para>
/// <para>
/// How: five bytes of machine code (<c>rdtsc; shl rdx, 32; or rax, rdx; ret</c>) in a page of
/// their own, mapped writable, filled, then made executable and read-only (never both writable
/// and executable), called through an unmanaged function pointer without a GC transition (the
/// code neither blocks nor calls back). <see cref="Frequency"/> is calibrated once against
/// <see cref="Stopwatch"/> over about 30 ms, taking each pair of readings where they were closest
/// together. Any failure on the way (another OS or CPU, another clock source, no such page) leaves
/// the Stopwatch in place: <see cref="Source"/> says which one a run used.
/// </para>
/// <para>
/// What it measures is the same as before: elapsed wall time between two points of one thread
/// (RDTSC is not serialising, so the CPU may start it a few dozen cycles early or late: noise of
/// a few nanoseconds on calls of a microsecond and more).
/// </para>
/// </remarks>
internal static unsafe partial class CallClock
{
    // Read once at type initialisation; the JIT treats static readonly fields as constants in
    // optimised code, so Now() compiles to one indirect call (or to Stopwatch's) with no branch.
    private static readonly delegate* unmanaged[SuppressGCTransition]<long> Counter = MapCounter();

    /// <summary>Ticks per second of <see cref="Now"/>.</summary>
    public static readonly long Frequency = Counter == null ? Stopwatch.Frequency : Calibrate();

    /// <summary>Which clock <see cref="Now"/> reads: <c>"tsc"</c> or <c>"stopwatch"</c>.</summary>
    public static string Source => Counter == null ? "stopwatch" : "tsc";

    /// <summary>A timestamp in ticks of <see cref="Frequency"/> (only differences mean anything).</summary>
    /// <returns>The timestamp.</returns>
    public static long Now() => Counter == null ? Stopwatch.GetTimestamp() : Counter();

    /// <summary>Nanoseconds in a number of ticks of <see cref="Frequency"/>.</summary>
    /// <param name="ticks">The ticks.</param>
    /// <returns>The nanoseconds.</returns>
    public static long ToNanos(long ticks) => (long)(ticks * (1e9 / Frequency));

    private static delegate* unmanaged[SuppressGCTransition]<long> MapCounter()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64 || !KernelUsesTsc())
        {
            return null;
        }

        ReadOnlySpan<byte> code = [0x0F, 0x31, 0x48, 0xC1, 0xE2, 0x20, 0x48, 0x09, 0xD0, 0xC3]; // rdtsc; shl rdx,32; or rax,rdx; ret
        const int ProtRead = 1, ProtWrite = 2, ProtExec = 4, MapPrivate = 2, MapAnonymous = 0x20;
        var page = Native.mmap(0, 4096, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (page == -1 || page == 0)
        {
            return null;
        }

        code.CopyTo(new Span<byte>((void*)page, code.Length));
        if (Native.mprotect(page, 4096, ProtRead | ProtExec) != 0)
        {
            _ = Native.munmap(page, 4096);
            return null;
        }

        return (delegate* unmanaged[SuppressGCTransition]<long>)page;
    }

    private static bool KernelUsesTsc()
    {
        try
        {
            return File.ReadAllText("/sys/devices/system/clocksource/clocksource0/current_clocksource").Trim() == "tsc";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Calibrate()
    {
        var (counter0, stopwatch0) = ClosePair();
        var until = stopwatch0 + (Stopwatch.Frequency * 30 / 1000);
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(100); // once per process, before the load: 30 ms of one core
        }

        var (counter1, stopwatch1) = ClosePair();
        var seconds = (double)(stopwatch1 - stopwatch0) / Stopwatch.Frequency;
        return (long)((counter1 - counter0) / seconds);
    }

    /// <summary>A counter reading and a Stopwatch reading taken together: of five tries, the one whose two counter readings around the Stopwatch's were closest.</summary>
    private static (long Counter, long Stopwatch) ClosePair()
    {
        var best = (Counter: 0L, Stopwatch: 0L, Width: long.MaxValue);
        for (var i = 0; i < 5; i++)
        {
            var before = Counter();
            var stopwatch = Stopwatch.GetTimestamp();
            var after = Counter();
            if (after - before < best.Width)
            {
                best = (before + ((after - before) / 2), stopwatch, after - before);
            }
        }

        return (best.Counter, best.Stopwatch);
    }

    private static partial class Native
    {
        [LibraryImport("libc", SetLastError = false)]
        internal static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

        [LibraryImport("libc", SetLastError = false)]
        internal static partial int mprotect(nint address, nuint length, int protection);

        [LibraryImport("libc", SetLastError = false)]
        internal static partial int munmap(nint address, nuint length);
    }
}
