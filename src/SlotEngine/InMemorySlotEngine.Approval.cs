namespace SlotEngine;

public sealed partial class InMemorySlotEngine
{
    private readonly ApprovalLapses? _lapses;

    /// <summary>
    /// How many unapproved bookings (<see cref="SlotEngineOptions.Approval"/>) this engine has released at their deadline
    /// so far, by a claim that met them, a sweep, or a block or withdraw; 0 when approval is off.
    /// </summary>
    public long UnapprovedReleased => _lapses?.Count ?? 0;

    /// <summary>
    /// Reclaims every expired hold and every unapproved booking past its approval deadline now, and reports them apart;
    /// otherwise as <see cref="SweepExpiredHolds"/> (quota records of past days and idempotency keys past retention are forgotten).
    /// </summary>
    /// <returns>The expired holds and the unapproved bookings released.</returns>
    public SweepResult Sweep()
    {
        var expired = new List<Reservation>();
        var unapproved = new List<Reservation>();
        SweepInto(expired, unapproved);
        return new SweepResult(expired, unapproved) { WishesPurged = PurgeWishesIfDue() };
    }

    /// <inheritdoc />
    public ValueTask<SweepResult> SweepAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Sweep());
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> ApproveAsync(Reservation reservation, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(TryApprove(reservation));
    }

    /// <summary>
    /// Counts and audits the unapproved bookings released at their deadline (<see cref="AuditAction.ApprovalLapsed"/>), on the
    /// thread that released them: a claim's lazy reclaim or a sweep. Allocates nothing.
    /// </summary>
    private sealed class ApprovalLapses(InMemorySlotEngine engine) : IApprovalLapses
    {
        private long _count;

        public long Count => Volatile.Read(ref _count);

        public void Lapsed(Calendar calendar, in RemovedClaim claim)
        {
            // Atomic +1 by the thread whose head CAS released the claim: each lapse is counted exactly once.
            Interlocked.Increment(ref _count);
            if (engine._audit is { } audit)
            {
                var now = engine.NowTicks();
                audit.Append(new AuditRecord(
                    0,
                    AuditAction.ApprovalLapsed,
                    calendar.Key,
                    new SlotRange(claim.First, claim.Length),
                    claim.Seat,
                    claim.Token,
                    engine._patients.KeyAt(claim.Patient),
                    false,
                    new DateTimeOffset(claim.HoldExpiryTicks, TimeSpan.Zero),
                    Actor.Administrator,
                    BookingChannel.Web,
                    new DateTimeOffset(now, TimeSpan.Zero)));
            }
        }
    }
}
