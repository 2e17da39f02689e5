namespace SlotEngine.Benchmarks.Postgres;

/// <summary>One slot a search offered: a provider's day and a slot index of the 48-slot template.</summary>
internal readonly record struct Candidate(int Provider, DateOnly Day, int Slot);

/// <summary>What a hold attempt gave.</summary>
internal enum HoldStatus
{
    /// <summary>Held; confirm with the token.</summary>
    Held,

    /// <summary>Someone else has the slot (or is claiming it right now).</summary>
    Taken,

    /// <summary>The patient's quota for that day (clinic or facility) is used up.</summary>
    Quota,

    /// <summary>Anything else (out of the window, closed): the search was a hint; search again.</summary>
    Other,
}

/// <summary>A hold: its status, fencing token, and the engine's reservation (default for PostgreSQL).</summary>
internal readonly record struct HoldResult(HoldStatus Status, long Token, Reservation Reservation);

/// <summary>A confirmed booking or a hold walked away from, as the client recorded it.</summary>
internal readonly record struct ClaimRecord(Candidate Candidate, PatientKey Patient, long Token, Reservation Reservation);

/// <summary>Server-side counters read before and after a run (all zero for the in-memory engine).</summary>
/// <param name="CpuSeconds">Server CPU (user + system).</param>
/// <param name="RoundTrips">Requests the client sent and got a reply to: statements (PostgreSQL, counted here), commands by the store's own meter (Redis).</param>
/// <param name="ServerCommands">Commands the server executed, scripts' inner commands included (Redis INFO commandstats); statements for PostgreSQL.</param>
/// <param name="Reloads">Read-model reloads (Redis engine only).</param>
/// <param name="Transport">The server processes' read/write system calls and context switches (<see cref="ProcCounters"/>).</param>
/// <param name="RoundTripsByCommand">Round trips by command (Redis, by the store's own meter); null elsewhere.</param>
internal readonly record struct ServerSample(double CpuSeconds, long RoundTrips, long ServerCommands, long Reloads, ProcCounters Transport = default, IReadOnlyDictionary<string, long>? RoundTripsByCommand = null);

/// <summary>The recount after a run.</summary>
internal sealed record Recount(long LedgerBookings, long StoreBookings, long DoubleBookings, long QuotaViolations, long OtherViolations, string Problems);

/// <summary>
/// The three steps of a booking as each contender does them (search → hold → confirm), and the
/// recount. Implementations are thread-safe: every worker calls them concurrently.
/// </summary>
internal abstract class BookingBackend : IAsyncDisposable
{
    /// <summary>The row's name in the report.</summary>
    public abstract string Name { get; }

    /// <summary>What the row's design is, in a few words.</summary>
    public abstract string Notes { get; }

    /// <summary>The earliest free slots of a city and branch over [from, to], by time, into <paramref name="into"/>; returns how many.</summary>
    public abstract ValueTask<int> SearchAsync(int city, int branch, DateOnly from, DateOnly to, Candidate[] into);

    /// <summary>
    /// Whether this contender searches and holds in one call (<see cref="SearchAndHoldAsync"/>): the
    /// citizen gets the earliest free slot the patient's quotas allow instead of choosing one of the
    /// earliest three.
    /// </summary>
    public virtual bool SearchesAndHoldsAtOnce => false;

    /// <summary>Holds the earliest free slot of a city and branch over [from, to] that the patient's quotas allow, in one call; Held with the slot, or Taken when there is none.</summary>
    public virtual ValueTask<(HoldResult Hold, Candidate Slot)> SearchAndHoldAsync(int city, int branch, DateOnly from, DateOnly to, PatientKey patient, TimeSpan ttl) =>
        throw new NotSupportedException(Name + " searches and holds in two calls.");

    /// <summary>Holds one slot for a patient, quotas checked.</summary>
    public abstract ValueTask<HoldResult> HoldAsync(Candidate candidate, PatientKey patient, TimeSpan ttl);

    /// <summary>Confirms a hold; returns the booking's token, or 0 when it was not confirmed.</summary>
    public abstract ValueTask<(bool Booked, long Token, Reservation Booking)> ConfirmAsync(Candidate candidate, HoldResult hold);

    /// <summary>Server CPU, round trips and reloads so far.</summary>
    public abstract ValueTask<ServerSample> SampleAsync();

    /// <summary>Recounts the store against the client's records.</summary>
    public abstract Task<Recount> RecountAsync(IReadOnlyList<ClaimRecord> bookings, IReadOnlyList<ClaimRecord> walkAways);

    public abstract ValueTask DisposeAsync();
}
