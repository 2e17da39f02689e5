using System.Collections.Concurrent;

namespace SlotEngine.Benchmarks.Peers;

/// <summary>
/// What a team would write first: a calendar per provider-day, found by key in a
/// <see cref="ConcurrentDictionary{TKey, TValue}"/>, guarded by its own lock, slots as a
/// <c>bool[]</c> with the owner and a fencing token beside each. Correct (all-or-nothing claims,
/// release only by the token that claimed), small, and uncontended locks are cheap.
/// </summary>
public sealed class LockCalendarStore
{
    private readonly ConcurrentDictionary<CalendarKey, LockCalendar> _calendars = new();

    public void Publish(CalendarKey key, int slots) => _calendars.TryAdd(key, new LockCalendar(slots));

    /// <summary>Claims [first, first + length) for a patient, all or none; returns the token, or 0 when taken.</summary>
    public long TryClaim(CalendarKey key, int first, int length, ulong patient) =>
        Find(key).TryClaim(first, length, patient);

    /// <summary>Releases a claim by its token; false when the token no longer owns the slots.</summary>
    public bool TryRelease(CalendarKey key, int first, int length, long token) =>
        Find(key).TryRelease(first, length, token);

    private LockCalendar Find(CalendarKey key) =>
        _calendars.TryGetValue(key, out var calendar) ? calendar : throw new ArgumentException($"{key} is not published.", nameof(key));

    private sealed class LockCalendar(int slots)
    {
        private readonly Lock _gate = new();
        private readonly bool[] _taken = new bool[slots];
        private readonly ulong[] _owner = new ulong[slots];
        private readonly long[] _token = new long[slots];
        private long _lastToken;

        public long TryClaim(int first, int length, ulong patient)
        {
            CheckRange(first, length);
            lock (_gate)
            {
                for (var s = first; s < first + length; s++)
                {
                    if (_taken[s])
                    {
                        return 0;
                    }
                }

                var token = ++_lastToken;
                for (var s = first; s < first + length; s++)
                {
                    _taken[s] = true;
                    _owner[s] = patient;
                    _token[s] = token;
                }

                return token;
            }
        }

        public bool TryRelease(int first, int length, long token)
        {
            CheckRange(first, length);
            lock (_gate)
            {
                for (var s = first; s < first + length; s++)
                {
                    if (!_taken[s] || _token[s] != token)
                    {
                        return false;
                    }
                }

                for (var s = first; s < first + length; s++)
                {
                    _taken[s] = false;
                    _owner[s] = 0;
                    _token[s] = 0;
                }

                return true;
            }
        }

        private void CheckRange(int first, int length)
        {
            if (first < 0 || length < 1 || first + length > _taken.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(first), $"Slots {first}+{length} are outside 0..{_taken.Length - 1}.");
            }
        }
    }
}
