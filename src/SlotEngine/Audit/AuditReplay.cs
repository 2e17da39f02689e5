namespace SlotEngine;

/// <summary>
/// Rebuilds who holds what from audit records (<see cref="IAuditSource"/>), and compares the result with an
/// engine's calendars. Feed it every record of the calendars to rebuild, in each calendar's stream order.
/// Not thread-safe.
/// </summary>
/// <remarks>
/// The state is kept per claim (calendar and fencing token), not per slot, so records of different claims
/// may arrive in either order (in memory two claims on one calendar may be appended in the other order of
/// their effect); a removal seen before its claim is remembered and wins. Expired holds are not recorded
/// when they are reclaimed: a hold counts as live while its expiry is after the time asked about, as the
/// engines count it. Closed slots are not rebuilt (blocks and reopens are not recorded; the displaced claims
/// of a block are). A day withdrawn and published again reuses tokens on Redis: replay such a day only from
/// after its publication.
/// </remarks>
public sealed class AuditReplay
{
    private readonly Dictionary<CalendarKey, Dictionary<long, ReplayedClaim>> _live = [];
    private readonly HashSet<(CalendarKey Calendar, long Token)> _gone = [];

    /// <summary>How many records were applied.</summary>
    public long Applied { get; private set; }

    /// <summary>Applies one record.</summary>
    /// <param name="record">The record.</param>
    public void Apply(in AuditRecord record)
    {
        Applied++;
        if (!_live.TryGetValue(record.Calendar, out var claims))
        {
            _live[record.Calendar] = claims = [];
        }

        switch (record.Action)
        {
            case AuditAction.Claim:
                if (!_gone.Contains((record.Calendar, record.Token)))
                {
                    claims[record.Token] = new ReplayedClaim(record.Seat, record.Slots, record.Token, record.Patient, record.Booked, record.Booked ? null : record.HoldExpiresAt);
                }

                break;
            case AuditAction.Confirm or AuditAction.Approve:
                if (claims.TryGetValue(record.Token, out var held))
                {
                    // A confirm with an expiry made the hold an unapproved booking (still held, until its approval deadline).
                    claims[record.Token] = record.Action == AuditAction.Confirm && record.HoldExpiresAt is { } deadline
                        ? held with { HoldExpiresAt = deadline }
                        : held with { Booked = true, HoldExpiresAt = null };
                }

                break;
            case AuditAction.Outcome:
                break; // an outcome changes no claim
            default:
                claims.Remove(record.Token);
                _gone.Add((record.Calendar, record.Token));
                break;
        }
    }

    /// <summary>The calendars that have records.</summary>
    public IEnumerable<CalendarKey> Calendars => _live.Keys;

    /// <summary>The claims of a calendar that are live at <paramref name="now"/> (bookings, and holds not expired), by seat and first slot.</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="now">When.</param>
    /// <returns>The claims.</returns>
    public IReadOnlyList<ReplayedClaim> ClaimsOf(CalendarKey calendar, DateTimeOffset now) =>
        _live.TryGetValue(calendar, out var claims)
            ? [.. claims.Values.Where(c => c.Booked || c.HoldExpiresAt > now).OrderBy(c => c.Seat).ThenBy(c => c.Slots.First)]
            : [];

    /// <summary>
    /// Where a calendar's snapshot and the rebuilt claims differ: every seat of every slot that the snapshot shows
    /// held or booked must belong to a rebuilt claim with the same token, patient and kind, and every rebuilt
    /// claim must be in the snapshot.
    /// </summary>
    /// <param name="snapshot">The engine's calendar.</param>
    /// <param name="now">The time the snapshot was taken (holds expired by then count as free).</param>
    /// <param name="holdTolerance">
    /// Seats of holds that expire within this much of <paramref name="now"/> are not compared (for an engine whose
    /// clock is not the caller's, such as Redis's <c>TIME</c>). Zero compares every seat.
    /// </param>
    /// <returns>The differences, empty when they agree.</returns>
    public IReadOnlyList<string> Compare(CalendarSnapshot snapshot, DateTimeOffset now, TimeSpan holdTolerance = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var differences = new List<string>();
        var expected = new Dictionary<(int Slot, int Seat), ReplayedClaim>();
        var uncertain = new HashSet<(int Slot, int Seat)>();
        if (_live.TryGetValue(snapshot.Key, out var claims))
        {
            foreach (var claim in claims.Values)
            {
                var unsure = !claim.Booked && claim.HoldExpiresAt is { } expiry && (expiry - now).Duration() <= holdTolerance && holdTolerance > TimeSpan.Zero;
                if (!unsure && !claim.Booked && !(claim.HoldExpiresAt > now))
                {
                    continue;
                }

                for (var s = claim.Slots.First; s < claim.Slots.End; s++)
                {
                    if (unsure)
                    {
                        uncertain.Add((s, claim.Seat));
                    }
                    else
                    {
                        expected[(s, claim.Seat)] = claim;
                    }
                }
            }
        }

        for (var slot = 0; slot < snapshot.SlotCount; slot++)
        {
            for (var seat = 0; seat < snapshot.Capacity; seat++)
            {
                if (uncertain.Contains((slot, seat)))
                {
                    continue;
                }

                var view = snapshot[slot, seat];
                var claimed = view.Status is SlotStatus.Held or SlotStatus.Booked;
                var known = expected.TryGetValue((slot, seat), out var claim);
                if (claimed != known
                    || (known && (view.Token != claim.Token || view.Owner != claim.Patient || (view.Status == SlotStatus.Booked) != claim.Booked)))
                {
                    differences.Add($"{snapshot.Key} slot {slot} seat {seat}: engine {view.Status} token {view.Token}, replay {(known ? (claim.Booked ? "Booked" : "Held") + " token " + claim.Token : "free")}");
                }
            }
        }

        return differences;
    }
}

/// <summary>A claim rebuilt by <see cref="AuditReplay"/>.</summary>
/// <param name="Seat">Its seat.</param>
/// <param name="Slots">Its slots.</param>
/// <param name="Token">Its fencing token.</param>
/// <param name="Patient">Its patient.</param>
/// <param name="Booked">Whether it is a booking (else a hold).</param>
/// <param name="HoldExpiresAt">For a hold, when it expires.</param>
public readonly record struct ReplayedClaim(int Seat, SlotRange Slots, long Token, PatientKey Patient, bool Booked, DateTimeOffset? HoldExpiresAt);
