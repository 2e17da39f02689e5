using System.Buffers.Binary;
using SlotEngine.Stores;

namespace SlotEngine;

/// <summary>
/// What a distributed store (SlotEngine.Redis) needs to use this engine as a node's local read model:
/// load a calendar's state as the store holds it, drop it, and validate requests exactly as the
/// engine itself would (same exceptions, same messages) before they go to the store.
/// </summary>
public sealed partial class InMemorySlotEngine
{
    /// <summary>
    /// Lays a calendar's state, as the store holds it, into this engine: opens the day if needed (or
    /// again, when its template changed), then replaces words, cells and hold expiries.
    /// </summary>
    /// <param name="key">The calendar.</param>
    /// <param name="template">Its template.</param>
    /// <param name="version">The store's version of it.</param>
    /// <param name="lastToken">The last fencing token the store issued on it.</param>
    /// <param name="freeBitmap">Seat after seat, <c>ceil(slots/64)</c> little-endian 64-bit words each: bit <c>s % 64</c> of word <c>s / 64</c> is 1 when slot <c>s</c> is free. Shorter input reads as zeros.</param>
    /// <param name="claims">Every hold and booking.</param>
    internal void LoadReadModel(CalendarKey key, DayTemplate template, long version, long lastToken, ReadOnlySpan<byte> freeBitmap, IReadOnlyList<ReadModelClaim> claims)
    {
        var entry = Directory.GetProvider(key.Provider);
        var calendar = entry.GetCalendar(key.Day);
        if (calendar is not null && !calendar.Layout.Template.Equals(template))
        {
            entry.Remove(calendar);
            calendar = null;
        }

        calendar ??= entry.Publish(LayoutFor(template, key.Day), Today, out _);
        var words = new ulong[calendar.WordsPerSeat * calendar.Capacity];
        for (var i = 0; i < words.Length && (i * 8) + 8 <= freeBitmap.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt64LittleEndian(freeBitmap.Slice(i * 8, 8));
        }

        var cells = new ulong[calendar.SlotCount * calendar.Capacity];
        var expiry = new long[cells.Length];
        foreach (var claim in claims)
        {
            var patient = _patients.IndexOf(claim.Patient);
            var kind = claim.Booked ? ClaimCell.KindBooked : ClaimCell.KindHeld;
            for (var slot = claim.First; slot < claim.First + claim.Length && slot < calendar.SlotCount; slot++)
            {
                cells[(claim.Seat * calendar.SlotCount) + slot] = ClaimCell.Pack(kind, slot == claim.First, claim.Token, patient)
                    | (slot == claim.First && claim.AwaitsApproval && !claim.Booked ? ClaimCell.ApprovalBit : 0); // the flag is the head's only
            }

            if (!claim.Booked)
            {
                expiry[(claim.Seat * calendar.SlotCount) + claim.First] = claim.HoldExpiryTicks;
            }
        }

        for (var seat = 0; seat < calendar.Capacity; seat++)
        {
            for (var slot = 0; slot < calendar.SlotCount; slot++)
            {
                var index = (seat * calendar.SlotCount) + slot;
                var free = (words[(seat * calendar.WordsPerSeat) + (slot >> 6)] & (1UL << slot)) != 0;
                if (!free && cells[index] == ClaimCell.None)
                {
                    cells[index] = ClaimCell.Closed;
                }
            }
        }

        calendar.LoadReadModel(words, cells, expiry, version, lastToken);
    }

    /// <summary>
    /// Lays in a calendar the store has just opened (no claims, every offered slot free: what a new calendar here
    /// is), without its bitmap: a calendar held before (another generation) is replaced.
    /// </summary>
    /// <param name="key">The calendar.</param>
    /// <param name="template">Its template.</param>
    /// <param name="version">The store's version of it.</param>
    internal void LoadPublishedReplica(CalendarKey key, DayTemplate template, long version)
    {
        var entry = Directory.GetProvider(key.Provider);
        var layout = LayoutFor(template, key.Day);
        var calendar = entry.GetCalendar(key.Day) is { } old ? entry.Replace(old, layout, Today) : entry.Publish(layout, Today, out _);
        calendar.SetReplicaVersion(version);
    }

    /// <summary>
    /// Lays one claim the store made into the read model without reloading it, when the read model holds exactly
    /// <paramref name="fromVersion"/> and the slots are free here; false otherwise (nothing changed: reload).
    /// </summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the claim.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="claim">The claim.</param>
    /// <returns>Whether it was applied.</returns>
    internal bool ApplyReadModelClaim(CalendarKey key, long fromVersion, long toVersion, ReadModelClaim claim) =>
        FindReadModel(key) is { } calendar &&
        calendar.ApplyReadModelClaim(fromVersion, toVersion, claim.Seat, claim.First, claim.Length, claim.Token, _patients.IndexOf(claim.Patient), claim.Booked ? 0 : claim.HoldExpiryTicks, claim.AwaitsApproval);

    /// <summary>Lays one confirm the store made (held → booked) into the read model; false when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the confirm.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="seat">The hold's seat.</param>
    /// <param name="first">Its first slot.</param>
    /// <param name="token">Its fencing token.</param>
    /// <returns>Whether it was applied.</returns>
    internal bool ApplyReadModelConfirm(CalendarKey key, long fromVersion, long toVersion, int seat, int first, long token) =>
        FindReadModel(key) is { } calendar && calendar.ApplyReadModelConfirm(fromVersion, toVersion, seat, first, token);

    /// <summary>Lays one confirm the store made that left a hold awaiting approval until its deadline; false when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the confirm.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="seat">The hold's seat.</param>
    /// <param name="first">Its first slot.</param>
    /// <param name="token">Its fencing token.</param>
    /// <param name="deadlineTicks">Its approval deadline (UTC ticks): the hold's new expiry.</param>
    /// <returns>Whether it was applied.</returns>
    internal bool ApplyReadModelAwaitApproval(CalendarKey key, long fromVersion, long toVersion, int seat, int first, long token, long deadlineTicks) =>
        FindReadModel(key) is { } calendar && calendar.ApplyReadModelAwaitApproval(fromVersion, toVersion, seat, first, token, deadlineTicks);

    /// <summary>Lays one release, cancel or reclaim the store made into the read model; false when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the removal.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="seat">The claim's seat.</param>
    /// <param name="first">Its first slot.</param>
    /// <param name="token">Its fencing token.</param>
    /// <returns>Whether it was applied.</returns>
    internal bool ApplyReadModelRelease(CalendarKey key, long fromVersion, long toVersion, int seat, int first, long token) =>
        FindReadModel(key) is { } calendar && calendar.ApplyReadModelRelease(fromVersion, toVersion, seat, first, token);

    /// <summary>Lays one close the store made (a block's last step) into the read model; false when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="slots">The range closed on every seat.</param>
    /// <returns>Whether it was applied.</returns>
    internal bool ApplyReadModelClose(CalendarKey key, long fromVersion, long toVersion, SlotRange slots) =>
        FindReadModel(key) is { } calendar && calendar.ApplyReadModelClose(fromVersion, toVersion, slots.First, slots.Length);

    /// <summary>Lays one reopen the store made into the read model; false when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="slots">The range reopened.</param>
    /// <returns>Whether it was applied.</returns>
    internal bool ApplyReadModelReopen(CalendarKey key, long fromVersion, long toVersion, SlotRange slots) =>
        FindReadModel(key) is { } calendar && calendar.ApplyReadModelReopen(fromVersion, toVersion, slots.First, slots.Length);

    /// <summary>Drops a calendar the store no longer has (withdrawn). Returns whether it was here.</summary>
    /// <param name="key">The calendar.</param>
    /// <returns>Whether this engine had it.</returns>
    internal bool RemoveReadModel(CalendarKey key)
    {
        if (!Directory.TryGetProvider(key.Provider, out var entry) || entry.GetCalendar(key.Day) is not { } calendar)
        {
            return false;
        }

        entry.Remove(calendar);
        return true;
    }

    /// <summary>The calendar if this engine has it (no exception), for the store's bookkeeping.</summary>
    /// <param name="key">The calendar.</param>
    /// <returns>It, or null.</returns>
    internal Calendar? FindReadModel(CalendarKey key) =>
        Directory.TryGetProvider(key.Provider, out var entry) ? entry.GetCalendar(key.Day) : null;

    /// <summary>The calendars this engine has open, for reloading them all.</summary>
    /// <returns>Their keys.</returns>
    internal List<CalendarKey> ReadModelKeys()
    {
        var keys = new List<CalendarKey>();
        foreach (var provider in Directory.AllProviders())
        {
            foreach (var calendar in provider.OpenCalendars())
            {
                keys.Add(calendar.Key);
            }
        }

        return keys;
    }

    /// <summary>The calendars this engine has open, one after another (no list of them all: for very many).</summary>
    /// <returns>Their keys.</returns>
    internal IEnumerable<CalendarKey> EnumerateReplicaKeys()
    {
        foreach (var provider in Directory.AllProviders())
        {
            foreach (var calendar in provider.OpenCalendars())
            {
                yield return calendar.Key;
            }
        }
    }

    /// <summary>A day's layout in this engine's zone (slot starts, offered slots).</summary>
    /// <param name="template">The template.</param>
    /// <param name="day">The day.</param>
    /// <returns>The layout.</returns>
    internal DayLayout ReadModelLayout(DayTemplate template, DateOnly day) => LayoutFor(template, day);

    /// <summary>Checks a claim as <see cref="TryClaim"/> would, before it goes to the store.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The local calendar (the request's template and layout).</returns>
    /// <exception cref="SlotEngineArgumentException">Bad input, exactly as <see cref="TryClaim"/> throws it.</exception>
    internal Calendar ValidateClaimForStore(in ClaimRequest request)
    {
        _rules.ValidateClaim(request);
        var calendar = RequireCalendar(request.Calendar);
        ValidateRange(calendar, request.Slots, withinOneSession: true);
        return calendar;
    }

    /// <summary>The local pre-check of a claim's time rules (the store checks again by its own clock).</summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="first">The first slot.</param>
    /// <returns>Succeeded, OutsideBookingWindow or InPast.</returns>
    internal ClaimStatus PrecheckTimeForStore(Calendar calendar, int first)
    {
        var now = NowTicks();
        return _rules.CheckTime(calendar.Day, TodayAt(now), calendar.Layout.StartUtcTicks(first), now);
    }

    /// <summary>
    /// Checks a reservation as confirm, release and cancel would; null when its calendar is not open here.
    /// The read model may not yet have heard of the claim (its last token lags the store's), so a token
    /// above it is left for the store to judge.
    /// </summary>
    /// <param name="reservation">The reservation.</param>
    /// <returns>The local calendar, or null.</returns>
    internal Calendar? ValidateReservationForStore(in Reservation reservation) => ResolveReservation(reservation, out _, tokensIssuedHere: false);

    /// <summary>Checks a block or reopen range as <see cref="Block"/> would.</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="slots">The range.</param>
    /// <returns>The local calendar.</returns>
    internal Calendar ValidateRangeForStore(CalendarKey key, SlotRange slots)
    {
        var calendar = RequireCalendar(key);
        ValidateRange(calendar, slots, withinOneSession: false);
        return calendar;
    }

    /// <summary>Throws as <see cref="Withdraw"/> would when the calendar is not open here.</summary>
    /// <param name="key">The calendar.</param>
    /// <returns>The local calendar.</returns>
    internal Calendar RequireCalendarForStore(CalendarKey key) => RequireCalendar(key);
}
