using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Bars by patient (dense directory index) and branch: until when (UTC ticks) the patient may not claim the branch.
/// Claims read it without a lock; outcomes and lifts, which are rare, write it. A claim first reads one bit of the
/// patient's (<see cref="_ever"/>: has this patient ever been barred?), and looks in the dictionary only when it is
/// set: most patients are never barred, and the bit array (one bit per place of the patient directory: 512 KiB for the
/// load generator's 4 M places) is one line per claim that mostly stays in the cache, where the dictionary's buckets
/// and nodes (two dependent random lines per claim) did not.
/// </summary>
/// <remarks>
/// Invariants: a bar's end only moves later while it is set (<see cref="Bar"/> keeps the later of the two ends, by
/// compare-and-swap on the entry), and only <see cref="Lift"/> removes one. A patient's bit goes from 0 to 1 once and
/// never back (a lifted bar leaves it set: the dictionary then answers), and it is set before the patient's first
/// entry is added, so a claim that reads 0 is ordered before that bar, as a claim between its check and its calendar
/// step is: a bar set before a claim's check is seen by that check. Writers (<see cref="Bar"/>) hold
/// <see cref="_grow"/>, so the bit array is replaced (grown) only with every bit set so far copied into the new one
/// before it is published; a reader that reads the old array reads bits that are all still true.
/// </remarks>
internal sealed class BarTable
{
    private readonly ConcurrentDictionary<long, long> _bars = new();
    private readonly Lock _grow = new();

    /// <summary>One bit per patient index: set once the patient has been barred from any branch. Null until the first bar.</summary>
    private ulong[]? _ever;

    /// <summary>
    /// Whether the patient may be barred from some branch: false when no bar was ever set for them (the bit test alone,
    /// inlined at the claim, so a claim of a patient never barred reads neither its branch nor the dictionary).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool MayBeBarred(uint patient)
    {
        var ever = Volatile.Read(ref _ever);
        if (ever is null)
        {
            return false;
        }

        // The patient's bit is set, or beyond the array (which cannot happen: a bar grows it first).
        var word = patient >> 6;
        return word >= (uint)ever.Length || (Volatile.Read(ref ever[word]) & (1UL << (int)(patient & 63))) != 0;
    }

    /// <summary>Whether the patient is barred from the branch at <paramref name="nowTicks"/>.</summary>
    public bool IsBarred(uint patient, int branch, long nowTicks) =>
        MayBeBarred(patient) && _bars.TryGetValue(KeyOf(patient, branch), out var until) && until > nowTicks;

    /// <summary>Bars the patient from the branch until <paramref name="untilTicks"/>, or keeps a later end already set.</summary>
    public void Bar(uint patient, int branch, long untilTicks)
    {
        lock (_grow)
        {
            // The patient's bit first: a claim that still reads 0 skips the dictionary and is ordered before this bar.
            var ever = _ever;
            var word = patient >> 6;
            if (ever is null || word >= (uint)ever.Length)
            {
                var grown = new ulong[Math.Max(1024, (int)Math.Min(Array.MaxLength, Math.Max((long)word + 1, (ever?.Length ?? 0) * 2L)))];
                ever?.CopyTo(grown, 0);
                Volatile.Write(ref _ever, grown); // published whole: every bit set so far is in it
                ever = grown;
            }

            Interlocked.Or(ref ever[word], 1UL << (int)(patient & 63));
        }

        var key = KeyOf(patient, branch);
        while (true)
        {
            if (!_bars.TryGetValue(key, out var current))
            {
                if (_bars.TryAdd(key, untilTicks))
                {
                    return;
                }

                continue;
            }

            // CAS on the entry: the end only moves later (a concurrent later bar is never shortened).
            if (current >= untilTicks || _bars.TryUpdate(key, untilTicks, current))
            {
                return;
            }
        }
    }

    /// <summary>Lifts the bar; whether one was in force at <paramref name="nowTicks"/>.</summary>
    public bool Lift(uint patient, int branch, long nowTicks) =>
        _bars.TryRemove(KeyOf(patient, branch), out var until) && until > nowTicks;

    private static long KeyOf(uint patient, int branch) => ((long)patient << 32) | (uint)branch;
}
