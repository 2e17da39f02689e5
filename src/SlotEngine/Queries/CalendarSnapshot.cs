namespace SlotEngine;

/// <summary>
/// The slot states of one calendar, read without locks. A hint, never a promise: by the time it is
/// read a slot may have changed hands. The claim is the authority.
/// </summary>
public sealed class CalendarSnapshot
{
    private readonly SeatView[] _seats;
    private readonly DateTimeOffset[] _starts;

    internal CalendarSnapshot(CalendarKey key, DayTemplate template, long version, SeatView[] seats, DateTimeOffset[] starts)
    {
        Key = key;
        Template = template;
        Version = version;
        _seats = seats;
        _starts = starts;
    }

    /// <summary>The calendar.</summary>
    public CalendarKey Key { get; }

    /// <summary>How the day is cut.</summary>
    public DayTemplate Template { get; }

    /// <summary>The calendar's change counter when the snapshot was taken (changes at every transition).</summary>
    public long Version { get; }

    /// <summary>Number of slots.</summary>
    public int SlotCount => Template.SlotCount;

    /// <summary>Seats per slot.</summary>
    public int Capacity => Template.Capacity;

    /// <summary>One seat of one slot.</summary>
    /// <param name="slot">The slot index.</param>
    /// <param name="seat">The seat, 0 to capacity − 1.</param>
    /// <returns>Its view.</returns>
    public SeatView this[int slot, int seat = 0]
    {
        get
        {
            if (slot < 0 || slot >= SlotCount)
            {
                throw new ArgumentOutOfRangeException(nameof(slot), slot, $"The slot index must be from 0 to {SlotCount - 1}.");
            }

            if (seat < 0 || seat >= Capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(seat), seat, $"The seat must be from 0 to {Capacity - 1}.");
            }

            return _seats[(seat * SlotCount) + slot];
        }
    }

    /// <summary>The start of a slot (in UTC offset form; convert to local with the engine's zone).</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>When the slot starts.</returns>
    public DateTimeOffset StartOf(int slot) => _starts[slot];

    /// <summary>How many seats of a slot are free for anyone (seats kept for a pool, <see cref="SeatView.ReservedFor"/>, are not counted).</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>The free seat count ("remaining uses").</returns>
    public int FreeSeats(int slot)
    {
        var free = 0;
        for (var seat = 0; seat < Capacity; seat++)
        {
            var view = this[slot, seat];
            if (view.Status == SlotStatus.Free && view.ReservedFor is null)
            {
                free++;
            }
        }

        return free;
    }

    /// <summary>How many seats of a slot are free for a pool's claims only (<see cref="SeatView.ReservedFor"/> set).</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>The free reserved seat count.</returns>
    public int ReservedFreeSeats(int slot)
    {
        var free = 0;
        for (var seat = 0; seat < Capacity; seat++)
        {
            var view = this[slot, seat];
            if (view.Status == SlotStatus.Free && view.ReservedFor is not null)
            {
                free++;
            }
        }

        return free;
    }

    /// <summary>All free seats of the calendar that anyone may claim (not those kept for a pool).</summary>
    public int FreeSeatCount
    {
        get
        {
            var free = 0;
            foreach (var s in _seats)
            {
                if (s.Status == SlotStatus.Free && s.ReservedFor is null)
                {
                    free++;
                }
            }

            return free;
        }
    }

    /// <summary>All free seats of the calendar kept for a pool until the day's reservation is released.</summary>
    public int ReservedFreeSeatCount
    {
        get
        {
            var free = 0;
            foreach (var s in _seats)
            {
                if (s.Status == SlotStatus.Free && s.ReservedFor is not null)
                {
                    free++;
                }
            }

            return free;
        }
    }
}
