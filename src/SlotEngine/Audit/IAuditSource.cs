namespace SlotEngine;

/// <summary>
/// An engine whose transitions are recorded in an audit stream (<see cref="SlotEngineOptions.Audit"/>):
/// implemented by <see cref="InMemorySlotEngine"/> and by the Redis store, so a host (or
/// <see cref="AuditReplay"/>) reads both the same way.
/// </summary>
public interface IAuditSource
{
    /// <summary>Reads one calendar's audit records after a position, in order.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="after">Read records after this position (<see cref="AuditRecord.Position"/>); -1 to read from the start.</param>
    /// <param name="max">The most records to return (1 or more).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The records, fewer than <paramref name="max"/> at the end of the stream.</returns>
    ValueTask<IReadOnlyList<AuditRecord>> ReadAuditAsync(CalendarKey calendar, long after, int max, CancellationToken cancellationToken = default);
}
