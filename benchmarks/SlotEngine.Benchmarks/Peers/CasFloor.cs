namespace SlotEngine.Benchmarks.Peers;

/// <summary>
/// The floor: claiming and releasing one slot as a bare compare-and-swap on a 64-bit word of free
/// bits (1 = free), with nothing else — no lookup, no owner, no token, no validation. Nothing that
/// claims a slot in shared memory without a lock can be cheaper; every other number reads as a
/// multiple of this one.
/// </summary>
public sealed class CasFloor
{
    // Words 8 apart sit on different 64-byte cache lines, so two "doctors" never share one.
    private const int Stride = 8;
    private readonly ulong[] _words;

    public CasFloor(int calendars)
    {
        _words = new ulong[calendars * Stride];
        Array.Fill(_words, ulong.MaxValue);
    }

    /// <summary>Clears the slot's bit if it is set: one CAS (retried only if another bit of the word changed meanwhile).</summary>
    public bool TryClaim(int calendar, int slot)
    {
        ref var word = ref _words[calendar * Stride];
        var mask = 1UL << slot;
        while (true)
        {
            var current = Volatile.Read(ref word);
            if ((current & mask) == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref word, current & ~mask, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Sets the slot's bit again: one CAS.</summary>
    public void Release(int calendar, int slot)
    {
        ref var word = ref _words[calendar * Stride];
        var mask = 1UL << slot;
        while (true)
        {
            var current = Volatile.Read(ref word);
            if (Interlocked.CompareExchange(ref word, current | mask, current) == current)
            {
                return;
            }
        }
    }
}
