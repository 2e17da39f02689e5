using System.Collections.Concurrent;

namespace SlotEngine.Benchmarks.Peers;

/// <summary>
/// The other thing a team would write: one <see cref="ConcurrentDictionary{TKey, TValue}"/> of
/// taken slots, keyed by (provider, day, slot), the owner as value. A claim is <c>TryAdd</c> per
/// slot (rolled back if a later one is taken); a release is the value-checked
/// <c>TryRemove(KeyValuePair)</c>, so only the owner can release. Correct and short; every add
/// allocates a dictionary node.
/// </summary>
public sealed class DictionarySlotStore
{
    private readonly ConcurrentDictionary<(int Provider, int Day, int Slot), ulong> _owners = new();

    public bool TryClaim(int provider, int day, int first, int length, ulong owner)
    {
        for (var s = first; s < first + length; s++)
        {
            if (!_owners.TryAdd((provider, day, s), owner))
            {
                for (var undo = first; undo < s; undo++)
                {
                    _owners.TryRemove(KeyValuePair.Create((provider, day, undo), owner));
                }

                return false;
            }
        }

        return true;
    }

    public bool TryRelease(int provider, int day, int first, int length, ulong owner)
    {
        var all = true;
        for (var s = first; s < first + length; s++)
        {
            all &= _owners.TryRemove(KeyValuePair.Create((provider, day, s), owner));
        }

        return all;
    }
}
