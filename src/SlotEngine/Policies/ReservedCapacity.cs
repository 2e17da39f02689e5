namespace SlotEngine;

/// <summary>
/// Capacity reserved for a named pool (family-doctor referrals, a priority group, the provider's own follow-ups), as
/// data: on every calendar, the top <see cref="Seats"/> seats (seats <c>Capacity − Seats</c> to <c>Capacity − 1</c>;
/// every seat when capacity is smaller) of every slot whose index is a multiple of <see cref="EveryNthSlot"/> may be
/// claimed only by a claim that carries the pool (<see cref="ClaimRequest.Pool"/>), until <see cref="ReleaseBefore"/>
/// before the day's local midnight; from then on, by anyone. Immutable.
/// </summary>
/// <remarks>
/// <para>A claim whose slots touch a reserved slot, made before the release by a claim without the pool, is steered
/// to the unreserved seats: it takes the first of them where all its slots are free (or answers Taken / Closed as any
/// claim); when the reservation leaves it no seat at all (capacity 1, or every seat reserved), it answers
/// <see cref="ClaimStatus.ReservedForPool"/>. A claim carrying the pool tries the seats from the top down, so it takes
/// reserved seats before unreserved ones. After the release every claim tries the seats from the bottom up as usual.</para>
/// <para>The engine-wide reservation is <see cref="SlotEngineOptions.Reserved"/>; a day may carry its own
/// (<see cref="DayTemplate.Reserved"/>, given at publish), which replaces it for that day. Equal reservations (same
/// pool, seats, slots and release) are interchangeable.</para>
/// <para>The host vouches for the pool, as for <see cref="ClaimRequest.PatientAttributes"/> (for example, it sets the
/// pool on claims its family doctors make, <see cref="Actor.FamilyDoctor"/>). Both engines apply the same seats and
/// release instant; SlotEngine.Redis compares the release instant with Redis <c>TIME</c> inside the claim script.</para>
/// </remarks>
public sealed class ReservedCapacity : IEquatable<ReservedCapacity>
{
    /// <summary>Nothing reserved.</summary>
    public static ReservedCapacity None { get; } = new();

    private ReservedCapacity()
    {
        EveryNthSlot = 1;
    }

    /// <summary>Creates a reservation.</summary>
    /// <param name="pool">The pool's name (1 to <see cref="ClaimRequest.MaxPoolLength"/> characters, without <c>{</c> or <c>}</c>).</param>
    /// <param name="seats">Seats reserved per reserved slot, from the top (1 to 64).</param>
    /// <param name="everyNthSlot">Which slots: those whose index is a multiple of it (1 for every slot; 1 to 1000).</param>
    /// <param name="releaseBefore">Released to everyone this long before the day's local midnight (zero to 365 days; zero: at midnight).</param>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public ReservedCapacity(string pool, int seats, int everyNthSlot, TimeSpan releaseBefore)
    {
        BookingRules.ValidatePool(pool, nameof(pool));
        ArgumentOutOfRangeException.ThrowIfLessThan(seats, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seats, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(everyNthSlot, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(everyNthSlot, 1000);
        if (releaseBefore < TimeSpan.Zero || releaseBefore > TimeSpan.FromDays(365))
        {
            throw new ArgumentOutOfRangeException(nameof(releaseBefore), releaseBefore, "The release must be from zero to 365 days before the day.");
        }

        Pool = pool;
        Seats = seats;
        EveryNthSlot = everyNthSlot;
        ReleaseBefore = releaseBefore;
    }

    /// <summary>The pool's name; null for <see cref="None"/>.</summary>
    public string? Pool { get; }

    /// <summary>Seats reserved per reserved slot, from the top.</summary>
    public int Seats { get; }

    /// <summary>Slots whose index is a multiple of this are reserved.</summary>
    public int EveryNthSlot { get; }

    /// <summary>How long before the day's local midnight the reservation is released to everyone.</summary>
    public TimeSpan ReleaseBefore { get; }

    /// <summary>Whether anything is reserved.</summary>
    public bool IsEnabled => Pool is not null;

    /// <summary>Whether <paramref name="slots"/> touch a reserved slot.</summary>
    /// <param name="slots">The claim's slots.</param>
    /// <returns>True when one of them is a multiple of <see cref="EveryNthSlot"/>.</returns>
    public bool Touches(SlotRange slots)
    {
        if (!IsEnabled)
        {
            return false;
        }

        // The first multiple of N at or after First lies before End.
        var next = (slots.First + EveryNthSlot - 1) / EveryNthSlot * EveryNthSlot;
        return next < slots.First + slots.Length;
    }

    /// <summary>
    /// How many top seats a claim must keep off (0: it may use every seat): the claim touches reserved slots and does
    /// not carry the pool; the caller then also checks the release instant (<see cref="ReleaseUtcTicks"/>).
    /// </summary>
    /// <param name="request">The claim.</param>
    /// <param name="capacity">The calendar's seats per slot.</param>
    /// <returns>0 to <paramref name="capacity"/>.</returns>
    public int SeatsKeptFrom(in ClaimRequest request, int capacity) =>
        Touches(request.Slots) && !string.Equals(request.Pool, Pool, StringComparison.Ordinal) ? Math.Min(Seats, capacity) : 0;

    /// <summary>Whether a claim carries this reservation's pool and touches reserved slots (it tries the seats from the top).</summary>
    /// <param name="request">The claim.</param>
    /// <returns>True for a pool claim on reserved slots.</returns>
    public bool IsPoolClaim(in ClaimRequest request) =>
        Touches(request.Slots) && string.Equals(request.Pool, Pool, StringComparison.Ordinal);

    /// <summary>When the reservation of <paramref name="day"/> is released to everyone, in UTC ticks.</summary>
    /// <param name="day">The calendar's day.</param>
    /// <param name="zone">The engine's zone.</param>
    /// <returns>The instant.</returns>
    public long ReleaseUtcTicks(DateOnly day, TimeZoneInfo zone) => DayLayout.LocalMidnightUtcTicks(day, zone) - ReleaseBefore.Ticks;

    /// <inheritdoc />
    public bool Equals(ReservedCapacity? other) =>
        other is not null && (ReferenceEquals(this, other) ||
        (string.Equals(Pool, other.Pool, StringComparison.Ordinal) && Seats == other.Seats && EveryNthSlot == other.EveryNthSlot && ReleaseBefore == other.ReleaseBefore));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ReservedCapacity);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Pool, Seats, EveryNthSlot, ReleaseBefore);

    /// <inheritdoc />
    public override string ToString() => IsEnabled
        ? $"{Seats} seat(s) of every {EveryNthSlot}th slot for '{Pool}' until {ReleaseBefore} before the day"
        : "nothing reserved";
}
