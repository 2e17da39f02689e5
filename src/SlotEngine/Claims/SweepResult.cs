namespace SlotEngine;

/// <summary>What a sweep released (<see cref="ISlotEngine.SweepAsync"/>): expired holds, and unapproved bookings whose approval deadline has passed, apart. Immutable.</summary>
public sealed class SweepResult
{
    /// <summary>Creates a result.</summary>
    /// <param name="expiredHolds">Holds whose expiry had passed.</param>
    /// <param name="unapprovedReleased">Bookings that awaited approval past their deadline.</param>
    public SweepResult(IReadOnlyList<Reservation> expiredHolds, IReadOnlyList<Reservation> unapprovedReleased)
    {
        ArgumentNullException.ThrowIfNull(expiredHolds);
        ArgumentNullException.ThrowIfNull(unapprovedReleased);
        ExpiredHolds = expiredHolds;
        UnapprovedReleased = unapprovedReleased;
    }

    /// <summary>Holds whose expiry had passed.</summary>
    public IReadOnlyList<Reservation> ExpiredHolds { get; }

    /// <summary>Bookings that awaited approval (<see cref="SlotEngineOptions.Approval"/>) past their deadline; each reservation's <see cref="Reservation.HoldExpiresAt"/> is that deadline.</summary>
    public IReadOnlyList<Reservation> UnapprovedReleased { get; }

    /// <summary>How many waitlist wishes the sweep purged (<see cref="ISlotEngine.PurgeWishesAsync"/>; the sweep purges at most once a minute).</summary>
    public int WishesPurged { get; init; }

    /// <summary>Every claim the sweep released: the expired holds, then the unapproved bookings.</summary>
    public IReadOnlyList<Reservation> All => UnapprovedReleased.Count == 0 ? ExpiredHolds : [.. ExpiredHolds, .. UnapprovedReleased];
}
