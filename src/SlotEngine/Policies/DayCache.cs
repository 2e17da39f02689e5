using System.Diagnostics;

namespace SlotEngine;

/// <summary>
/// A value per local day and time zone, computed once and kept while the day is asked for: instants built from local
/// midnights (a booking window's bounds, an approval deadline, a release instant), which cost a time-zone conversion or
/// three each. A small direct-mapped table: a day's entry sits in place <c>DayNumber mod size</c>, and a day that finds
/// another day's (or another zone's) entry there computes its own and replaces it.
/// </summary>
/// <typeparam name="T">The value, a pure function of the day and the zone.</typeparam>
/// <remarks>
/// <para>Thread-safe and lock-free: a hit reads one reference and allocates nothing; a miss computes the value and
/// publishes one small object. Racing misses of one place each compute a correct value, and the last write wins.</para>
/// <para>Public for store authors (SlotEngine.Redis caches the local midnights its scripts receive with it); the engine's
/// <see cref="BookingRules"/> and <see cref="ReleasePolicy"/> cache theirs with it too.</para>
/// </remarks>
public sealed class DayCache<T>
{
    /// <summary>
    /// The table. Invariant: every entry is immutable and holds <c>compute(day, zone)</c> for its own day and zone; a place
    /// only ever changes from one whole entry to another by one reference write (<see cref="Volatile.Write{T}(ref T, T)"/>),
    /// so a reader racing a writer sees either entry whole, and uses it only when it is its own day's and zone's.
    /// </summary>
    private readonly Entry?[] _entries;
    private readonly Func<DateOnly, TimeZoneInfo, T> _compute;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="size">Places in the table, a power of two: days further apart than this share a place (and evict each other).</param>
    /// <param name="compute">Makes a day's value; called on a miss only, and must not depend on anything but its arguments.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a positive power of two.</exception>
    public DayCache(int size, Func<DateOnly, TimeZoneInfo, T> compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        if (size <= 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The size must be a positive power of two.");
        }

        _entries = new Entry?[size];
        _compute = compute;
    }

    /// <summary>The value of <paramref name="day"/> in <paramref name="zone"/>: the cached one, or computed (and cached) on a miss.</summary>
    /// <param name="day">The local day.</param>
    /// <param name="zone">The zone the day is local to (compared by reference: the engine's one instance).</param>
    /// <returns>The value.</returns>
    public T Get(DateOnly day, TimeZoneInfo zone)
    {
        Debug.Assert(zone is not null);
        ref var place = ref _entries[day.DayNumber & (_entries.Length - 1)];
        var entry = Volatile.Read(ref place);
        if (entry is not null && entry.DayNumber == day.DayNumber && ReferenceEquals(entry.Zone, zone))
        {
            return entry.Value;
        }

        var value = _compute(day, zone);
        Volatile.Write(ref place, new Entry(day.DayNumber, zone, value)); // a miss: once per day and zone while it stays
        return value;
    }

    private sealed class Entry(int dayNumber, TimeZoneInfo zone, T value)
    {
        public readonly int DayNumber = dayNumber;
        public readonly TimeZoneInfo Zone = zone;
        public readonly T Value = value;
    }
}
