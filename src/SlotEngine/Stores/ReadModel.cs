using System.ComponentModel;

namespace SlotEngine.Stores;

/// <summary>
/// A node's in-memory copy of calendars whose truth lives in a store (advanced: for store authors, such as
/// SlotEngine.Redis). The store lays each calendar's state in as it holds it (<see cref="Load"/>), then each
/// change it makes or hears of (<see cref="ApplyClaim"/>, <see cref="ApplyConfirm"/>, <see cref="ApplyRelease"/>,
/// checked against the version held), and drops calendars that are gone (<see cref="Remove"/>). Queries are
/// answered by <see cref="Engine"/>, lock-free, exactly as in memory. Requests are validated by the same rules
/// and with the same exceptions as in memory (<see cref="ValidateClaim"/> and friends, <see cref="Rules"/>), before
/// they go to the store.
/// </summary>
/// <remarks>
/// <para>Nothing claims on <see cref="Engine"/> directly: claims go to the store and come back through this type.
/// A query's lazy reclaim of an expired hold may change a calendar here; the next load or a version mismatch on
/// the next delta (which then returns false: reload) brings it back in line. What a query returns is a hint, as in
/// memory; the store's answer to a claim is the authority.</para>
/// <para>Thread-safe. Loads and deltas of one calendar are serialized by a lock of that calendar; queries take none.</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed class ReadModel
{
    /// <summary>
    /// The largest fencing token a calendar can carry: 2^29 − 1 (a token is packed into 29 bits of a slot's claim cell).
    /// A store issues tokens 1 to this per calendar and passes this limit to its scripts rather than repeating it.
    /// </summary>
    public const long MaxToken = ClaimCell.MaxToken;

    /// <summary>Creates an empty read model.</summary>
    /// <param name="options">The engine options (zone, rules, quotas, patient key secret); validated here. <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    /// <remarks>A read model applies each day's reservation from the day's template only (<see cref="DayTemplate.Reserved"/>),
    /// never the options' <see cref="SlotEngineOptions.Reserved"/>: a store resolves the reservation in force when it
    /// opens a day, stores it with the day and lays the day in with that template, so every node shows the same seats.</remarks>
    public ReadModel(SlotEngineOptions? options = null) => Engine = new InMemorySlotEngine(options, forReadModel: true);

    /// <summary>The engine that holds the calendars and answers queries (<see cref="InMemorySlotEngine.GetCalendar"/>,
    /// <see cref="InMemorySlotEngine.GetFreeCounts"/>, <see cref="InMemorySlotEngine.FindEarliest(EarliestQuery)"/>), with its directory,
    /// options and patient keys. Do not claim on it.</summary>
    public InMemorySlotEngine Engine { get; }

    /// <summary>The booking rules the engine applies, for the store to apply by its own clock.</summary>
    public BookingRules Rules => Engine.Rules;

    /// <summary>Lays a day out in the engine's zone as a calendar of it would be (cached per template and day).</summary>
    /// <param name="template">The template.</param>
    /// <param name="day">The day.</param>
    /// <returns>The layout.</returns>
    public DayLayout LayoutOf(DayTemplate template, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Engine.ReadModelLayout(template, day);
    }

    /// <summary>Throws as the engine does for a provider that is not registered in <see cref="InMemorySlotEngine.Directory"/>.</summary>
    /// <param name="provider">The provider.</param>
    /// <exception cref="SlotEngineArgumentException"><see cref="SlotEngineError.UnknownProvider"/>.</exception>
    public void ValidateProvider(ProviderId provider) => _ = Engine.Directory.GetProvider(provider);

    /// <summary>The calendar if the read model holds it.</summary>
    /// <param name="key">The calendar.</param>
    /// <returns>It, or null (an unknown provider too).</returns>
    public ReadModelCalendar? Find(CalendarKey key) => Engine.FindReadModel(key)?.View;

    /// <summary>The calendars the read model holds, for reloading them all (after the store's feed may have lost messages).</summary>
    /// <returns>Their keys, a new list.</returns>
    public IReadOnlyList<CalendarKey> Keys() => Engine.ReadModelKeys();

    /// <summary>The calendars the read model holds, one after another, without a list of them all (a node holding millions).</summary>
    /// <returns>Their keys, read as the enumeration goes (calendars opened or dropped meanwhile may or may not be seen).</returns>
    public IEnumerable<CalendarKey> EnumerateKeys() => Engine.EnumerateReplicaKeys();

    /// <summary>
    /// Lays a calendar's whole state, as the store holds it, into the read model: opens the day if needed (again,
    /// when its template changed), then replaces its free bits, claims and hold expiries, version and last token.
    /// </summary>
    /// <param name="key">The calendar (its provider must be registered).</param>
    /// <param name="template">Its template.</param>
    /// <param name="version">The store's version of it.</param>
    /// <param name="lastToken">The last fencing token the store issued on it.</param>
    /// <param name="freeBitmap">Seat after seat, <c>ceil(slots/64)</c> little-endian 64-bit words each: bit <c>s % 64</c> of word <c>s / 64</c> is 1 when slot <c>s</c> is free. Shorter input reads as zeros.</param>
    /// <param name="claims">Every hold and booking (claims whose slots run past the day are cut at its end).</param>
    /// <returns>The calendar.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider.</exception>
    public ReadModelCalendar Load(CalendarKey key, DayTemplate template, long version, long lastToken, ReadOnlySpan<byte> freeBitmap, IReadOnlyList<ReadModelClaim> claims)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(claims);
        Engine.LoadReadModel(key, template, version, lastToken, freeBitmap, claims);
        return Engine.FindReadModel(key)!.View;
    }

    /// <summary>
    /// Lays in a calendar the store has just opened, whose state the caller knows without reading it: no claims, every
    /// slot the template offers free, version <paramref name="version"/> (for bulk publishing: no bitmap to build or
    /// read). A calendar of the day held before is replaced.
    /// </summary>
    /// <param name="key">The calendar (its provider must be registered).</param>
    /// <param name="template">Its template.</param>
    /// <param name="version">The store's version of it after opening it.</param>
    /// <returns>The calendar.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider, or the day does not fit the provider's open days.</exception>
    public ReadModelCalendar LoadPublished(CalendarKey key, DayTemplate template, long version)
    {
        ArgumentNullException.ThrowIfNull(template);
        Engine.LoadPublishedReplica(key, template, version);
        return Engine.FindReadModel(key)!.View;
    }

    /// <summary>
    /// Lays one claim the store made (version <paramref name="fromVersion"/> to <paramref name="toVersion"/>) into the
    /// calendar, as a claim in memory would (all slots or none). False, and nothing changed, when the read model does
    /// not hold the calendar at exactly <paramref name="fromVersion"/> or the slots are not all free here: reload.
    /// </summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the claim.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="claim">The claim.</param>
    /// <returns>Whether it was applied.</returns>
    public bool ApplyClaim(CalendarKey key, long fromVersion, long toVersion, ReadModelClaim claim) =>
        Engine.ApplyReadModelClaim(key, fromVersion, toVersion, claim);

    /// <summary>Lays one confirm the store made (held to booked) into the calendar; false, nothing changed, when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the confirm.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="seat">The hold's seat.</param>
    /// <param name="first">Its first slot.</param>
    /// <param name="token">Its fencing token.</param>
    /// <returns>Whether it was applied.</returns>
    public bool ApplyConfirm(CalendarKey key, long fromVersion, long toVersion, int seat, int first, long token) =>
        Engine.ApplyReadModelConfirm(key, fromVersion, toVersion, seat, first, token);

    /// <summary>
    /// Lays one confirm the store made that left a hold awaiting approval (<see cref="SlotEngineOptions.Approval"/>: confirmed
    /// far enough ahead) into the calendar: the hold now expires at its approval deadline and reads as
    /// <see cref="SeatView.AwaitsApproval"/>. False, nothing changed, when it cannot (reload).
    /// </summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the confirm.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="seat">The hold's seat.</param>
    /// <param name="first">Its first slot.</param>
    /// <param name="token">Its fencing token.</param>
    /// <param name="deadlineTicks">Its approval deadline in UTC ticks (the hold's new expiry).</param>
    /// <returns>Whether it was applied.</returns>
    public bool ApplyAwaitApproval(CalendarKey key, long fromVersion, long toVersion, int seat, int first, long token, long deadlineTicks) =>
        Engine.ApplyReadModelAwaitApproval(key, fromVersion, toVersion, seat, first, token, deadlineTicks);

    /// <summary>Lays one release, cancel or reclaim the store made into the calendar; false, nothing changed, when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the removal.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="seat">The claim's seat.</param>
    /// <param name="first">Its first slot.</param>
    /// <param name="token">Its fencing token.</param>
    /// <returns>Whether it was applied.</returns>
    public bool ApplyRelease(CalendarKey key, long fromVersion, long toVersion, int seat, int first, long token) =>
        Engine.ApplyReadModelRelease(key, fromVersion, toVersion, seat, first, token);

    /// <summary>
    /// Lays one close the store made into the calendar: every free seat of <paramref name="slots"/> closes (the last step
    /// of a block, whose displaced claims the store reports before it as releases). False, nothing changed, when the read
    /// model does not hold the calendar at exactly <paramref name="fromVersion"/> or still holds a claim there: reload.
    /// </summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the close.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="slots">The range closed on every seat.</param>
    /// <returns>Whether it was applied.</returns>
    public bool ApplyClose(CalendarKey key, long fromVersion, long toVersion, SlotRange slots) =>
        Engine.ApplyReadModelClose(key, fromVersion, toVersion, slots);

    /// <summary>Lays one reopen the store made into the calendar (the closed seats of the range its template offers open); false, nothing changed, when it cannot (reload).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="fromVersion">The store's version before the reopen.</param>
    /// <param name="toVersion">Its version after.</param>
    /// <param name="slots">The range reopened.</param>
    /// <returns>Whether it was applied.</returns>
    public bool ApplyReopen(CalendarKey key, long fromVersion, long toVersion, SlotRange slots) =>
        Engine.ApplyReadModelReopen(key, fromVersion, toVersion, slots);

    /// <summary>Drops a calendar the store no longer has (withdrawn, or lost with the store's data).</summary>
    /// <param name="key">The calendar.</param>
    /// <returns>Whether the read model held it.</returns>
    public bool Remove(CalendarKey key) => Engine.RemoveReadModel(key);

    /// <summary>Drops every calendar (the store was emptied, for example by a restart without persistence).</summary>
    /// <returns>How many were dropped.</returns>
    public int Reset()
    {
        var removed = 0;
        foreach (var key in Keys())
        {
            removed += Remove(key) ? 1 : 0;
        }

        return removed;
    }

    /// <summary>Validates a claim as the engine's <see cref="InMemorySlotEngine.TryClaim"/> does (same exceptions), before it goes to the store.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The request's calendar.</returns>
    /// <exception cref="SlotEngineArgumentException">Bad input: no patient, a bad hold time, unknown provider, unpublished day, slots out of range or across sessions.</exception>
    public ReadModelCalendar ValidateClaim(in ClaimRequest request) => Engine.ValidateClaimForStore(request).View;

    /// <summary>
    /// The engine's pre-check of a claim's time rules by the engine's clock (<see cref="SlotEngineOptions.TimeProvider"/>):
    /// <see cref="ClaimStatus.OutsideBookingWindow"/>, <see cref="ClaimStatus.InPast"/> or <see cref="ClaimStatus.Succeeded"/>.
    /// A store whose own clock is the authority should refuse only what its clock would refuse too.
    /// </summary>
    /// <param name="calendar">The calendar.</param>
    /// <param name="first">The claim's first slot.</param>
    /// <returns>The verdict.</returns>
    public ClaimStatus PrecheckTime(ReadModelCalendar calendar, int first)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        return Engine.PrecheckTimeForStore(calendar.Inner, first);
    }

    /// <summary>
    /// Validates a reservation as confirm, release and cancel do in memory (same exceptions); null when it is stale
    /// here: its day is not held, or it belongs to a withdrawn calendar this day replaced.
    /// </summary>
    /// <param name="reservation">The reservation.</param>
    /// <returns>Its calendar, or null.</returns>
    /// <exception cref="SlotEngineArgumentException">The default reservation, an unknown provider, slots or a seat outside the calendar.</exception>
    public ReadModelCalendar? ValidateReservation(in Reservation reservation) => Engine.ValidateReservationForStore(reservation)?.View;

    /// <summary>Validates a block or reopen range as the engine does (same exceptions).</summary>
    /// <param name="key">The calendar.</param>
    /// <param name="slots">The range.</param>
    /// <returns>The calendar.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider, unpublished day, or slots out of range.</exception>
    public ReadModelCalendar ValidateRange(CalendarKey key, SlotRange slots) => Engine.ValidateRangeForStore(key, slots).View;

    /// <summary>The calendar, or the engine's exception when it is not held (as withdraw throws in memory).</summary>
    /// <param name="key">The calendar.</param>
    /// <returns>The calendar.</returns>
    /// <exception cref="SlotEngineArgumentException">Unknown provider or unpublished day.</exception>
    public ReadModelCalendar Require(CalendarKey key) => Engine.RequireCalendarForStore(key).View;

    /// <summary>Validates a wish as the in-memory engine does (waitlist on, dates, length, group, scope).</summary>
    /// <param name="request">The wish.</param>
    /// <exception cref="SlotEngineArgumentException">The waitlist is off or the wish is malformed.</exception>
    public void ValidateWish(in WishRequest request) => Engine.ValidateWish(request);
}
