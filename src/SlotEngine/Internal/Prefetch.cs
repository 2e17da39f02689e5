using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace SlotEngine;

/// <summary>
/// Software prefetch of a cache line the caller will read soon: a hint, never a read. The claim path waits on a chain of
/// cold lines (the provider's place, the patient's directory place, the quota entries); a line whose address is known
/// before the loads ahead of it finish can start coming now and overlap them.
/// </summary>
/// <remarks>
/// The only unsafe code of the engine (<c>AllowUnsafeBlocks</c> is on for this file's sake). Why it is safe: a prefetch
/// instruction never faults and changes no value, so an address that is stale (the GC moved the array between
/// <c>Unsafe.AsPointer</c> and the instruction) or past the end costs at most a wasted line. Every read
/// that matters is the ordinary, bounds-checked, <see cref="Volatile"/> read it was before. Where SSE is missing (Arm),
/// nothing is done.
/// </remarks>
internal static class Prefetch
{
    /// <summary>Starts bringing the line that holds <paramref name="place"/> into every cache level.</summary>
    /// <typeparam name="T">The element's type.</typeparam>
    /// <param name="place">A reference to the element (an array element or a field).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Line<T>(ref T place)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref place));
        }
    }
}
