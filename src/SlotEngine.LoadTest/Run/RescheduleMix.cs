using System.Diagnostics;

namespace SlotEngine.LoadTest.Run;

/// <summary>
/// One worker's reschedules (docs/load-generator.md, "Reschedules"): a share of the confirmed bookings is moved at once to
/// the neighbouring slot of the same calendar with <see cref="ISlotEngine.RescheduleAsync"/>, as a citizen who picks
/// another time. Each move is remembered, so that after the run every rescheduled appointment can be checked to have
/// exactly one live claim (<see cref="RescheduleCheck"/>). Owned by one worker.
/// </summary>
internal sealed class RescheduleMix
{
    /// <summary>Share of confirmed bookings (not sampled for an outcome, not to be cancelled) that are moved once.</summary>
    public const double Share = 0.05;

    // The moves as indexes into the worker's ledger (the new one −1 when the move failed): 8 bytes a move where the two
    // reservations took 128 (and the list's doublings copied them, into large arrays, during the load).
    private readonly List<(int Old, int New)> _moves = [];
    private BookingLedger? _ledger;

    /// <summary>The moves made: the booking, and the new reservation when the move succeeded (default when it failed).</summary>
    public IEnumerable<(Reservation Old, Reservation New)> Moves
    {
        get
        {
            foreach (var (old, moved) in _moves)
            {
                yield return (_ledger!.At(old), moved < 0 ? default : _ledger.At(moved));
            }
        }
    }

    /// <summary>Moves that succeeded.</summary>
    public long Moved { get; private set; }

    /// <summary>Moves refused (the neighbour taken, a quota, …): the booking stays where it was.</summary>
    public long Refused { get; private set; }

    /// <summary>Moves that threw (an unknown outcome on Redis: settled by the intent's resolver).</summary>
    public long Errors { get; private set; }

    /// <summary>Moves a booking to its neighbouring slot; on success the ledger cancels the old entry and books the new one.</summary>
    /// <returns>Stopwatch ticks spent in the engine.</returns>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> MoveAsync(ISlotEngine engine, Reservation booking, int index, BookingLedger ledger)
    {
        _ledger = ledger; // the worker's one ledger, where index is the booking's
        var target = ClaimRequest.Book(booking.Calendar, new SlotRange(booking.Slots.First ^ 1, booking.Slots.Length), booking.Patient);
        var t0 = Stopwatch.GetTimestamp();
        RescheduleResult result;
        try
        {
            result = await engine.RescheduleAsync(booking, target).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SlotEngineArgumentException)
        {
            return Stopwatch.GetTimestamp() - t0; // the neighbour is in another session or out of range: no move
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Errors++;
            _moves.Add((index, -1));
            return Stopwatch.GetTimestamp() - t0;
        }

        var ticks = Stopwatch.GetTimestamp() - t0;
        if (result.Succeeded)
        {
            Moved++;
            ledger.MarkCancelled(index);
            _moves.Add((index, ledger.AddBooking(result.Reservation)));
        }
        else
        {
            Refused++;
            _moves.Add((index, -1));
        }

        return ticks;
    }
}

/// <summary>The reschedule totals of a run.</summary>
/// <param name="Enabled">Whether reschedules ran.</param>
/// <param name="Reschedules">Moves that succeeded.</param>
/// <param name="Refused">Moves refused (nothing changed).</param>
/// <param name="Errors">Moves that threw.</param>
/// <param name="HalfDone">Rescheduled appointments without exactly one live claim after the run (must be 0).</param>
internal sealed record RescheduleTotals(bool Enabled, long Reschedules, long Refused, long Errors, long HalfDone)
{
    public static readonly RescheduleTotals Off = new(false, 0, 0, 0, 0);
}

/// <summary>After the run: every rescheduled appointment has exactly one live claim (the new one after a successful move, the old one otherwise).</summary>
internal static class RescheduleCheck
{
    public static async Task<RescheduleTotals> RunAsync(ISlotEngine engine, IReadOnlyList<RescheduleMix> mixes, CancellationToken cancellationToken)
    {
        var snapshots = new Dictionary<CalendarKey, CalendarSnapshot>();
        async ValueTask<bool> LiveAsync(Reservation r)
        {
            if (!snapshots.TryGetValue(r.Calendar, out var snapshot))
            {
                snapshots[r.Calendar] = snapshot = await engine.GetCalendarAsync(r.Calendar, cancellationToken).ConfigureAwait(false);
            }

            var view = snapshot[r.Slots.First, r.Seat];
            return view.Token == r.Token && view.Owner == r.Patient && view.Status is SlotStatus.Booked or SlotStatus.Held;
        }

        long halfDone = 0;
        foreach (var mix in mixes)
        {
            foreach (var (old, moved) in mix.Moves)
            {
                var oldLive = await LiveAsync(old).ConfigureAwait(false);
                var newLive = !moved.IsDefault && await LiveAsync(moved).ConfigureAwait(false);
                if (moved.IsHold || (moved.IsDefault && old.IsHold))
                {
                    // Moved to a day that needs approval, or an unapproved booking left where it was (a refused move): it may
                    // lapse by the rules (the approval check sweeps past every deadline first), not by a half-done move.
                    continue;
                }

                if ((oldLive ? 1 : 0) + (newLive ? 1 : 0) != 1 || (!moved.IsDefault && !newLive))
                {
                    halfDone++;
                }
            }
        }

        return new RescheduleTotals(true, mixes.Sum(m => m.Moved), mixes.Sum(m => m.Refused), mixes.Sum(m => m.Errors), halfDone);
    }
}
