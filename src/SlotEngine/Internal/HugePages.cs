using System.Runtime.InteropServices;

namespace SlotEngine;

/// <summary>
/// Asks Linux to back a large pinned array with 2 MiB pages (<c>madvise(MADV_HUGEPAGE)</c>), where transparent huge
/// pages are enabled "always" or "madvise" (the default of most distributions and of this project's CI machine).
/// </summary>
/// <remarks>
/// <para>Why: the engine's pre-sized tables (the patient directory, the quota days, the hold expiries) are hundreds of
/// megabytes that claims touch at random. With 4 KiB pages the whole MHRS day takes a page fault for each page on its
/// first touch (measured: 3.9 minor faults per booking in a 10-second default run, 40 % of its CPU in the kernel) and a
/// TLB miss, on a virtual machine a two-level page walk, on most probes. With 2 MiB pages both are 512 times rarer.</para>
/// <para>Only a hint: it changes no byte of the array, a kernel without transparent huge pages (or another OS) ignores
/// it or is never asked, and a failure is ignored. It must come before the first touch of the pages, so it is called
/// right after the array is allocated (the GC hands out a fresh large array untouched). Only whole 2 MiB pages inside
/// the array are advised. Arrays under <see cref="MinBytes"/> are left alone: the gain is in the large tables, and a
/// small table would otherwise pin up to 2 MiB of memory it never touches.</para>
/// </remarks>
internal static class HugePages
{
    /// <summary>The smallest array advised: 8 MiB (four huge pages).</summary>
    public const long MinBytes = 8L << 20;

    private const long HugePageBytes = 2L << 20;
    private const int MadvHugepage = 14;
    private const int MadvNoHugepage = 15;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Advises the whole 2 MiB pages inside <paramref name="pinned"/> (a pinned array: it never moves).</summary>
    /// <param name="pinned">An array allocated with <c>GC.AllocateArray(…, pinned: true)</c>, not yet touched.</param>
    /// <param name="bytes">The array's length in bytes.</param>
    public static void Advise(Array pinned, long bytes) => AdviseWholePages(pinned, bytes, MadvHugepage);

    /// <summary>
    /// The opposite hint (<c>madvise(MADV_NOHUGEPAGE)</c>) over the same whole 2 MiB pages: the array stays on 4 KiB pages
    /// even where transparent huge pages are "always" (the benchmarks' 4 KiB-page rows, <c>--machine-floor</c>).
    /// </summary>
    /// <param name="pinned">An array allocated with <c>GC.AllocateArray(…, pinned: true)</c>, not yet touched.</param>
    /// <param name="bytes">The array's length in bytes.</param>
    public static void KeepOff(Array pinned, long bytes) => AdviseWholePages(pinned, bytes, MadvNoHugepage);

    private static void AdviseWholePages(Array pinned, long bytes, int advice)
    {
        if (s_unavailable || bytes < MinBytes)
        {
            return;
        }

        try
        {
            var start = (long)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0);
            var first = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
            var end = (start + bytes) & ~(HugePageBytes - 1);
            if (end > first)
            {
                _ = NativeMethods.Madvise((nint)first, (nint)(end - first), advice);
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or MarshalDirectiveException)
        {
            s_unavailable = true;
        }
    }

    /// <summary>
    /// Touches every 4 KiB page of a large, new array (a write of the 0 it already holds), so that the page faults come
    /// where the array is made (a table made when a day or the engine is prepared) instead of in the claims that first
    /// probe each page. Arrays under <see cref="MinBytes"/> are left alone. Call only before the array is shared.
    /// </summary>
    /// <param name="fresh">A new array no other thread can see yet.</param>
    public static void Prefault(long[] fresh)
    {
        const int LongsPerPage = 4096 / sizeof(long);
        if ((long)fresh.Length * sizeof(long) < MinBytes)
        {
            return;
        }

        for (long i = 0; i < fresh.Length; i += LongsPerPage)
        {
            fresh[i] = 0;
        }
    }

    /// <summary>The byte-array form of <see cref="Prefault(long[])"/> (the audit log's arenas).</summary>
    /// <param name="fresh">A new array no other thread can see yet.</param>
    public static void Prefault(byte[] fresh)
    {
        const int BytesPerPage = 4096;
        if (fresh.LongLength < MinBytes)
        {
            return;
        }

        for (var i = 0; i < fresh.Length; i += BytesPerPage)
        {
            fresh[i] = 0;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "madvise", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Madvise(nint address, nint length, int advice);
    }
}
