namespace SlotEngine.LoadTest.Run;

/// <summary>What became of a claim the generator made.</summary>
internal enum LedgerState : byte
{
    /// <summary>Confirmed, and not cancelled.</summary>
    Booked = 0,

    /// <summary>Confirmed, then cancelled by the patient.</summary>
    Cancelled,

    /// <summary>Held, and left to expire (the citizen walked away).</summary>
    WalkedAway,
}

/// <summary>One claim in the generator's own books.</summary>
/// <param name="Reservation">What the engine returned.</param>
/// <param name="State">What became of it.</param>
internal record struct LedgerEntry(Reservation Reservation, LedgerState State);

/// <summary>
/// The generator's own record of every booking it confirmed and every hold it left behind, kept
/// apart from the engine so that the end-of-run check can recount the engine against it. One per
/// worker (no sharing); merged after the run. Stored in fixed chunks of 1,024 compact entries
/// (40 bytes each where a <see cref="LedgerEntry"/> takes 72: the ledger is the generator's largest
/// allocation per booking; 40 KiB a chunk, below the large-object threshold) so that growing it
/// never copies and never makes the collector do a full collection for the generator's own
/// bookkeeping.
/// </summary>
internal sealed class BookingLedger
{
    private const int ChunkBits = 10;
    private const int ChunkSize = 1 << ChunkBits;
    private readonly List<Compact[]> _chunks = [];
    private int _count;

    /// <summary>Number of entries.</summary>
    public int Count => _count;

    /// <summary>The entries, in the order they were made.</summary>
    public IEnumerable<LedgerEntry> Entries
    {
        get
        {
            for (var i = 0; i < _count; i++)
            {
                var entry = _chunks[i >> ChunkBits][i & (ChunkSize - 1)];
                yield return new LedgerEntry(entry.ToReservation(), entry.State);
            }
        }
    }

    /// <summary>
    /// Allocates the chunks for <paramref name="entries"/> entries now, before the load, so that recording its bookings
    /// allocates nothing (the ledger was the generator's largest allocation during the load: 40 bytes a booking).
    /// </summary>
    /// <param name="entries">Entries expected.</param>
    public void Reserve(long entries)
    {
        while ((long)_chunks.Count * ChunkSize < entries)
        {
            _chunks.Add(new Compact[ChunkSize]);
        }
    }

    /// <summary>Records a confirmed booking.</summary>
    /// <param name="booking">The confirmed reservation.</param>
    /// <returns>Its index, to mark it cancelled later.</returns>
    public int AddBooking(in Reservation booking) => Add(new Compact(booking, LedgerState.Booked));

    /// <summary>Records a hold left to expire.</summary>
    /// <param name="hold">The hold.</param>
    public void AddWalkAway(in Reservation hold) => Add(new Compact(hold, LedgerState.WalkedAway));

    /// <summary>The reservation at an index.</summary>
    /// <param name="index">From <see cref="AddBooking"/>.</param>
    /// <returns>The reservation.</returns>
    public Reservation At(int index) => Slot(index).ToReservation();

    /// <summary>Marks a booking cancelled.</summary>
    /// <param name="index">From <see cref="AddBooking"/>.</param>
    public void MarkCancelled(int index) => Slot(index).State = LedgerState.Cancelled;

    private ref Compact Slot(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return ref _chunks[index >> ChunkBits][index & (ChunkSize - 1)];
    }

    private int Add(in Compact entry)
    {
        var index = _count;
        if ((index & (ChunkSize - 1)) == 0 && (index >> ChunkBits) == _chunks.Count)
        {
            _chunks.Add(new Compact[ChunkSize]);
        }

        _chunks[index >> ChunkBits][index & (ChunkSize - 1)] = entry;
        _count++;
        return index;
    }

    /// <summary>A reservation in 40 bytes: slots and seat fit in 16 bits (at most 288 slots, 16 seats); the hold expiry as UTC ticks (0: a booking).</summary>
    private struct Compact(in Reservation reservation, LedgerState state)
    {
        private readonly long _token = reservation.Token;
        private readonly ulong _patient = reservation.Patient.Value;
        private readonly long _holdExpiryUtcTicks = reservation.HoldExpiresAt?.UtcTicks ?? 0;
        private readonly int _provider = reservation.Calendar.Provider.Value;
        private readonly int _dayNumber = reservation.Calendar.Day.DayNumber;
        private readonly short _first = checked((short)reservation.Slots.First);
        private readonly short _length = checked((short)reservation.Slots.Length);
        private readonly short _seat = checked((short)reservation.Seat);

        public LedgerState State { get; set; } = state;

        public readonly Reservation ToReservation() => new(
            new CalendarKey(new ProviderId(_provider), DateOnly.FromDayNumber(_dayNumber)),
            new SlotRange(_first, _length),
            _seat,
            _token,
            new PatientKey(_patient),
            _holdExpiryUtcTicks == 0 ? null : new DateTimeOffset(_holdExpiryUtcTicks, TimeSpan.Zero));
    }
}
