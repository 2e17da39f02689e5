using System.Runtime.InteropServices;

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
/// worker (no sharing); merged after the run.
/// </summary>
internal sealed class BookingLedger
{
    private readonly List<LedgerEntry> _entries = [];

    /// <summary>The entries.</summary>
    public IReadOnlyList<LedgerEntry> Entries => _entries;

    /// <summary>Records a confirmed booking.</summary>
    /// <param name="booking">The confirmed reservation.</param>
    /// <returns>Its index, to mark it cancelled later.</returns>
    public int AddBooking(in Reservation booking)
    {
        _entries.Add(new LedgerEntry(booking, LedgerState.Booked));
        return _entries.Count - 1;
    }

    /// <summary>Records a hold left to expire.</summary>
    /// <param name="hold">The hold.</param>
    public void AddWalkAway(in Reservation hold) => _entries.Add(new LedgerEntry(hold, LedgerState.WalkedAway));

    /// <summary>The reservation at an index.</summary>
    /// <param name="index">From <see cref="AddBooking"/>.</param>
    /// <returns>The reservation.</returns>
    public Reservation At(int index) => _entries[index].Reservation;

    /// <summary>Marks a booking cancelled.</summary>
    /// <param name="index">From <see cref="AddBooking"/>.</param>
    public void MarkCancelled(int index) => CollectionsMarshal.AsSpan(_entries)[index].State = LedgerState.Cancelled;
}
