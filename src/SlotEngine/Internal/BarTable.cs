using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Bars by patient (dense directory index) and branch: until when (UTC ticks) the patient may not claim the branch.
/// Claims read it without a lock (<see cref="ConcurrentDictionary{TKey, TValue}.TryGetValue"/> takes none, and the
/// key is a <see cref="long"/>: nothing is allocated); outcomes and lifts, which are rare, write it.
/// </summary>
/// <remarks>
/// Invariants: a bar's end only moves later while it is set (<see cref="Bar"/> keeps the later of the two ends, by
/// compare-and-swap on the entry), and only <see cref="Lift"/> removes one. A bar set before a claim's check is seen
/// by that check; a bar set while a claim is between its check and its calendar step is ordered after that claim.
/// Until the first bar is set the claim path skips the table with one volatile read.
/// </remarks>
internal sealed class BarTable
{
    private readonly ConcurrentDictionary<long, long> _bars = new();
    private int _everSet;

    /// <summary>Whether the patient is barred from the branch at <paramref name="nowTicks"/>.</summary>
    public bool IsBarred(uint patient, int branch, long nowTicks) =>
        Volatile.Read(ref _everSet) != 0 && _bars.TryGetValue(KeyOf(patient, branch), out var until) && until > nowTicks;

    /// <summary>Bars the patient from the branch until <paramref name="untilTicks"/>, or keeps a later end already set.</summary>
    public void Bar(uint patient, int branch, long untilTicks)
    {
        // Set before the entry is added: a claim that still reads 0 skips the table and is ordered before this bar.
        Volatile.Write(ref _everSet, 1);
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
