namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>
/// Checks a recorded history and the final state of the calendars: no slot ever had two owners at
/// once, no claim was ever half-made, and successful claims minus their ends (release, cancel,
/// displacement, reclaimed or plain expiry) equal the occupied seats.
/// </summary>
internal sealed class HistoryChecker
{
    private readonly IReadOnlyList<HistoryEvent> _events;
    private readonly Dictionary<(CalendarKey, long), ClaimLife> _claims = [];

    public HistoryChecker(IReadOnlyList<HistoryEvent> events)
    {
        _events = events;
        foreach (var e in events.Where(e => e.Kind == EventKind.Claim && e.Succeeded))
        {
            if (!_claims.TryAdd((e.Reservation.Calendar, e.Reservation.Token), new ClaimLife(e)))
            {
                throw new Xunit.Sdk.XunitException($"token {e.Reservation.Token} issued twice on {e.Reservation.Calendar}");
            }
        }

        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case EventKind.Confirm when e.Succeeded:
                    Life(e.Reservation, e).Confirms.Add(e);
                    break;
                case EventKind.Release when e.Succeeded:
                    var life = Life(e.Reservation, e);
                    life.Acts.Add(e);
                    life.Ends.Add(e);
                    break;
                case EventKind.Block or EventKind.Sweep:
                    foreach (var ended in e.Ended)
                    {
                        Life(ended, e).Ends.Add(e);
                    }

                    break;
            }
        }
    }

    public IEnumerable<ClaimLife> Claims => _claims.Values;

    /// <summary>Claims not ended by the last event: no release, displacement or sweep, and not an unconfirmed hold expired by <paramref name="nowTicks"/>.</summary>
    public List<ClaimLife> LiveAt(long nowTicks) =>
        _claims.Values.Where(c => c.Ends.Count == 0 && !(c.IsHold && c.Confirms.Count == 0 && c.Expiry <= nowTicks)).ToList();

    /// <summary>For every seat of every slot, consecutive owners (by token) never overlap.</summary>
    public void CheckNoTwoOwners()
    {
        var bySeat = new Dictionary<(CalendarKey, int, int), List<ClaimLife>>();
        foreach (var claim in _claims.Values)
        {
            var r = claim.Claim.Reservation;
            for (var slot = r.Slots.First; slot < r.Slots.End; slot++)
            {
                var key = (r.Calendar, r.Seat, slot);
                if (!bySeat.TryGetValue(key, out var list))
                {
                    bySeat[key] = list = [];
                }

                list.Add(claim);
            }
        }

        foreach (var (seat, owners) in bySeat)
        {
            owners.Sort((a, b) => a.Token.CompareTo(b.Token));
            for (var i = 1; i < owners.Count; i++)
            {
                var (before, after) = (owners[i - 1], owners[i]);
                var ended = before.Ends.Any(e => e.StartSeq < after.Claim.EndSeq) ||
                    (before.IsHold && before.Confirms.Count == 0 && before.Expiry <= after.Claim.TimeAfter);
                if (!ended)
                {
                    throw new Xunit.Sdk.XunitException($"{seat}: token {after.Token} was claimed (seq {after.Claim.StartSeq}..{after.Claim.EndSeq}) while token {before.Token} still owned it (ends: {string.Join(", ", before.Ends.Select(e => e.Kind + "@" + e.StartSeq))})");
                }

                var late = before.Confirms.Concat(before.Acts).FirstOrDefault(e => e.StartSeq > after.Claim.EndSeq);
                if (late is not null)
                {
                    throw new Xunit.Sdk.XunitException($"{seat}: token {before.Token} succeeded a {late.Kind} at seq {late.StartSeq}, after token {after.Token} took the seat (seq {after.Claim.EndSeq})");
                }
            }
        }
    }

    /// <summary>The final snapshots show exactly the live claims, each whole, and nothing else.</summary>
    public void CheckFinalState(IReadOnlyDictionary<CalendarKey, CalendarSnapshot> snapshots, long nowTicks)
    {
        var live = LiveAt(nowTicks);
        var occupiedExpected = 0;
        foreach (var claim in live)
        {
            var r = claim.Claim.Reservation;
            var snapshot = snapshots[r.Calendar];
            var status = claim.IsHold && claim.Confirms.Count == 0 ? SlotStatus.Held : SlotStatus.Booked;
            for (var slot = r.Slots.First; slot < r.Slots.End; slot++)
            {
                var view = snapshot[slot, r.Seat];
                if (view.Token != r.Token || view.Status != status || view.Owner != r.Patient)
                {
                    throw new Xunit.Sdk.XunitException($"{r} should show {status} on slot {slot}, the snapshot has {view}");
                }
            }

            occupiedExpected += r.Slots.Length;
        }

        var occupied = snapshots.Values.Sum(s => Seats(s).Count(v => v.Status is SlotStatus.Held or SlotStatus.Booked));
        Assert.Equal(occupiedExpected, occupied);
    }

    public static IEnumerable<SeatView> Seats(CalendarSnapshot s)
    {
        for (var seat = 0; seat < s.Capacity; seat++)
        {
            for (var slot = 0; slot < s.SlotCount; slot++)
            {
                yield return s[slot, seat];
            }
        }
    }

    private ClaimLife Life(Reservation r, HistoryEvent by) =>
        _claims.TryGetValue((r.Calendar, r.Token), out var life)
            ? life
            : throw new Xunit.Sdk.XunitException($"{by.Kind} at seq {by.StartSeq} succeeded on {r}, which no claim returned");
}

/// <summary>A successful claim and what happened to it.</summary>
internal sealed class ClaimLife(HistoryEvent claim)
{
    public HistoryEvent Claim { get; } = claim;

    public long Token => Claim.Reservation.Token;

    public bool IsHold => Claim.Reservation.IsHold;

    public long Expiry => Claim.Reservation.HoldExpiresAt?.UtcTicks ?? long.MaxValue;

    public List<HistoryEvent> Confirms { get; } = [];

    public List<HistoryEvent> Acts { get; } = [];

    public List<HistoryEvent> Ends { get; } = [];
}
