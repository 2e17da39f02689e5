namespace SlotEngine;

/// <summary>
/// How a provider's day is cut into slots: working sessions in local time, a slot length and a
/// capacity (how many patients one slot takes). Slot indexes run from 0 across the sessions in
/// order: with 10-minute slots, 08:00–12:00 and 13:00–17:00, slot 0 is 08:00, slot 23 is 11:50 and
/// slot 24 is 13:00. A claim of several slots never crosses from one session into the next.
/// Immutable and thread-safe; equal templates (same sessions, length, capacity, reservation) are interchangeable.
/// </summary>
public sealed class DayTemplate : IEquatable<DayTemplate>
{
    /// <summary>The shortest slot length accepted: 5 minutes.</summary>
    public static readonly TimeSpan MinSlotLength = TimeSpan.FromMinutes(5);

    /// <summary>The longest slot length accepted: 60 minutes.</summary>
    public static readonly TimeSpan MaxSlotLength = TimeSpan.FromMinutes(60);

    /// <summary>The largest capacity accepted per slot: 16.</summary>
    public const int MaxCapacity = 16;

    /// <summary>The most slots one day may have: 288 (a whole day of 5-minute slots).</summary>
    public const int MaxSlots = 288;

    private readonly Session[] _sessions;
    private readonly int[] _sessionFirstSlot;

    /// <summary>Creates a template.</summary>
    /// <param name="sessions">Sessions in increasing, non-overlapping order. Each must last at least one slot; a remainder shorter than a slot is not offered.</param>
    /// <param name="slotLength">Slot length, a whole number of minutes from 5 to 60.</param>
    /// <param name="capacity">Patients per slot, 1 to <see cref="MaxCapacity"/>. The default is 1.</param>
    /// <exception cref="ArgumentException">A session, the slot length or the capacity is invalid; the message names it.</exception>
    public DayTemplate(IEnumerable<Session> sessions, TimeSpan slotLength, int capacity = 1)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        if (slotLength < MinSlotLength || slotLength > MaxSlotLength || slotLength.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slotLength), slotLength, "The slot length must be a whole number of minutes from 5 to 60.");
        }

        if (capacity < 1 || capacity > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity per slot must be from 1 to " + MaxCapacity + ".");
        }

        _sessions = sessions.ToArray();
        if (_sessions.Length == 0)
        {
            throw new ArgumentException("A day template needs at least one session.", nameof(sessions));
        }

        _sessionFirstSlot = new int[_sessions.Length + 1];
        var slots = 0;
        for (var i = 0; i < _sessions.Length; i++)
        {
            var s = _sessions[i];
            if (s.End <= s.Start)
            {
                throw new ArgumentException($"Session {s} ends before it starts.", nameof(sessions));
            }

            if (i > 0 && s.Start < _sessions[i - 1].End)
            {
                throw new ArgumentException($"Session {s} overlaps or precedes session {_sessions[i - 1]}; sessions must be in increasing order.", nameof(sessions));
            }

            var count = (int)((s.End - s.Start).Ticks / slotLength.Ticks);
            if (count == 0)
            {
                throw new ArgumentException($"Session {s} is shorter than one slot of {slotLength.TotalMinutes} minutes.", nameof(sessions));
            }

            _sessionFirstSlot[i] = slots;
            slots += count;
        }

        _sessionFirstSlot[_sessions.Length] = slots;
        if (slots > MaxSlots)
        {
            throw new ArgumentException($"The template has {slots} slots; at most {MaxSlots} are allowed.", nameof(sessions));
        }

        SlotLength = slotLength;
        Capacity = capacity;
        SlotCount = slots;
    }

    /// <summary>The MHRS-style default: 08:00–12:00 and 13:00–17:00 with 10-minute slots, capacity 1 (48 slots).</summary>
    public static DayTemplate Standard { get; } = new(
        [new Session(new TimeOnly(8, 0), new TimeOnly(12, 0)), new Session(new TimeOnly(13, 0), new TimeOnly(17, 0))],
        TimeSpan.FromMinutes(10));

    /// <summary>The sessions, in order.</summary>
    public IReadOnlyList<Session> Sessions => _sessions;

    /// <summary>The length of one slot.</summary>
    public TimeSpan SlotLength { get; }

    /// <summary>Patients per slot.</summary>
    public int Capacity { get; }

    /// <summary>How many slots the day has.</summary>
    public int SlotCount { get; }

    /// <summary>The local start time of a slot.</summary>
    /// <param name="slot">A slot index, 0 to <see cref="SlotCount"/> − 1.</param>
    /// <returns>The slot's local start time.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public TimeOnly StartOf(int slot)
    {
        var session = SessionOf(slot);
        return _sessions[session].Start.Add(SlotLength * (slot - _sessionFirstSlot[session]));
    }

    /// <summary>The slot that starts exactly at a local time, if any.</summary>
    /// <param name="localStart">A local time.</param>
    /// <param name="slot">The slot index, when found.</param>
    /// <returns>Whether a slot starts at that time.</returns>
    public bool TrySlotAt(TimeOnly localStart, out int slot)
    {
        for (var i = 0; i < _sessions.Length; i++)
        {
            var s = _sessions[i];
            if (localStart >= s.Start && localStart < s.End)
            {
                var offset = (localStart - s.Start).Ticks;
                if (offset % SlotLength.Ticks == 0)
                {
                    var index = _sessionFirstSlot[i] + (int)(offset / SlotLength.Ticks);
                    if (index < _sessionFirstSlot[i + 1])
                    {
                        slot = index;
                        return true;
                    }
                }

                break;
            }
        }

        slot = -1;
        return false;
    }

    /// <summary>The index of the session a slot belongs to.</summary>
    /// <param name="slot">A slot index.</param>
    /// <returns>The session index.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    public int SessionOf(int slot)
    {
        if (slot < 0 || slot >= SlotCount)
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, $"The slot index must be from 0 to {SlotCount - 1}.");
        }

        var session = 0;
        while (slot >= _sessionFirstSlot[session + 1])
        {
            session++;
        }

        return session;
    }

    /// <summary>The first slot index of a session.</summary>
    /// <param name="session">A session index.</param>
    /// <returns>Its first slot.</returns>
    public int FirstSlotOfSession(int session) => _sessionFirstSlot[session];

    /// <summary>The slot index one past the last slot of a session.</summary>
    /// <param name="session">A session index.</param>
    /// <returns>Its end slot.</returns>
    public int EndSlotOfSession(int session) => _sessionFirstSlot[session + 1];

    /// <summary>
    /// The day's own reserved capacity (issue 12), which replaces the engine-wide <see cref="SlotEngineOptions.Reserved"/>
    /// for the days published with this template; <see cref="ReservedCapacity.None"/> reserves nothing on them.
    /// </summary>
    /// <value>The default is null: the engine-wide reservation applies.</value>
    /// <remarks>SlotEngine.Redis stores the reservation in force (this one, or the publishing node's engine-wide one)
    /// with the day when it opens it, and the claim script judges the day's seats from that stored copy: every node
    /// applies the same reservation whatever its own options.</remarks>
    public ReservedCapacity? Reserved { get; init; }

    /// <summary>This template with another reservation (see <see cref="Reserved"/>).</summary>
    /// <param name="reserved">The day's own reservation; null for the engine-wide one.</param>
    /// <returns>A template equal to this one but for the reservation (this one when it is the same).</returns>
    public DayTemplate WithReserved(ReservedCapacity? reserved) =>
        Equals(Reserved, reserved) ? this : new DayTemplate(_sessions, SlotLength, Capacity) { Reserved = reserved };

    /// <inheritdoc />
    public bool Equals(DayTemplate? other) =>
        other is not null && (ReferenceEquals(this, other) ||
        (SlotLength == other.SlotLength && Capacity == other.Capacity && _sessions.AsSpan().SequenceEqual(other._sessions) && Equals(Reserved, other.Reserved)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as DayTemplate);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(SlotLength);
        hash.Add(Capacity);
        foreach (var s in _sessions)
        {
            hash.Add(s);
        }

        hash.Add(Reserved);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", _sessions) + $" in {SlotLength.TotalMinutes:0}-minute slots" + (Capacity > 1 ? $", {Capacity} per slot" : string.Empty)
        + (Reserved is { } reserved ? $", {reserved}" : string.Empty);
}
