namespace SlotEngine;

/// <summary>
/// The sweep's list of calendars that may hold holds: a sweep visits those, not every open calendar of the country
/// (2.25 million in the load generator's default run, where a walk of them all took about a second).
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> Two levels, neither with a field per calendar (the calendar stays 64 bytes). Each provider has a
/// word of hold days (<see cref="ProviderEntry.MarkHoldDay"/>: bit day-number mod 32 set when that day's calendar may hold
/// holds) and a link in a lock-free stack of providers, linked through the providers themselves by id (no allocation on the
/// claim path): <c>_listHead</c> is its top. Every claim this engine makes with an expiry (a hold, an offer, a booking
/// awaiting approval, a move's target) ends, once it succeeded, with <see cref="ListHolds"/>: it sets its day's bit
/// (Interlocked.Or, a full fence), then the one thread whose CAS marks the provider
/// (<see cref="ProviderEntry.TryMarkSweepListed"/>) links it to the top it read and pushes it with a CAS on the top. A
/// sweep takes the whole stack at once (an exchange with null: nodes are never popped one by one, so there is no ABA), and
/// for each provider reads its link, unmarks it (<see cref="ProviderEntry.ClearSweepListed"/>, a full fence), takes its day
/// bits (<see cref="ProviderEntry.TakeHoldDays"/>, an exchange with 0, a full fence), reclaims the expired holds of the
/// ring's calendars of those days, and lists each again (bit and provider) when it still has live holds. Two sweeps at
/// once take disjoint stacks.</para>
/// <para><b>Invariant: a calendar with a live hold has its day bit set and its provider listed, or a sweep that took the
/// bit will read the calendar's count again.</b> The claim increments the live-hold count (Interlocked, a full fence)
/// before it reads or sets the day bit, and sets the bit before it reads the provider's mark; the sweep clears the mark,
/// then takes the bits, then reads the count (each a full fence before the next). So: (a) if the claim's read of the day
/// word comes before the sweep's exchange and sees the bit set, the sweep takes that bit, and of the two full-fenced pairs
/// (claim: count, then word; sweep: word, then count) one side sees the other: the sweep reads the claim's count and
/// lists the calendar again. (b) If the claim's access comes after the exchange, its bit stays for the next sweep, and its
/// read of the provider's mark comes after the sweep cleared it: it sees it unlisted and pushes it, or listed again by
/// someone after the clear (on a stack a later sweep takes). Never neither.</para>
/// <para>A read model (<see cref="Stores.ReadModel"/>) lays holds in from its store without claims, so it keeps the
/// walk of every open calendar.</para>
/// </remarks>
public sealed partial class InMemorySlotEngine
{
    // The top of the stack: the top provider's id + 1, or 0 when empty.
    private int _listHead;
    private bool _sweepsListed;

    /// <summary>Starts the sweep list (called by the constructor; not for a read model).</summary>
    private void InitSweepList(bool forReadModel) => _sweepsListed = !forReadModel;

    /// <summary>After a successful claim with an expiry: marks its day and lists its provider for the sweep, once (see the remarks).</summary>
    private void ListHolds(Calendar calendar)
    {
        if (!_sweepsListed)
        {
            return;
        }

        // The day bit first (Interlocked.Or, a full fence), then the provider's mark (see the remarks' (b)).
        var provider = calendar.Provider;
        provider.MarkHoldDay(calendar.Day);

        // The mark's CAS: only the thread that marks the provider pushes it (a listed provider is never pushed twice).
        if (!provider.TryMarkSweepListed())
        {
            return;
        }

        while (true)
        {
            // The push CAS: succeeds only if the top is still the one the link names; else link to the new top and retry.
            var head = Volatile.Read(ref _listHead);
            provider.LinkListed(head);
            if (Interlocked.CompareExchange(ref _listHead, provider.Id.Value + 1, head) == head)
            {
                return;
            }
        }
    }

    // The last sweep's calendar list, emptied, for the next sweep: during a day of unapproved bookings a sweep lists
    // hundreds of thousands of calendars, and a new list grown to that size on every sweep was most of what the load's
    // background sweeps allocated. Taken with an exchange, so two sweeps at once never share it (the second makes its own).
    private List<Calendar>? _sweepCalendars;

    /// <summary>The calendars of the listed providers' marked days for one sweep, each provider unmarked; false for a read model (no list).</summary>
    private bool TakeListed(out List<Calendar> calendars)
    {
        if (!_sweepsListed)
        {
            calendars = [];
            return false;
        }

        calendars = Interlocked.Exchange(ref _sweepCalendars, null) ?? [];

        // The whole stack at once: a provider listed again afterwards is on the next sweep's stack.
        var top = Interlocked.Exchange(ref _listHead, 0);
        while (top != 0)
        {
            // Providers are never removed from the directory: every listed id names one.
            var provider = Directory.GetProvider(new ProviderId(top - 1));

            // The link first: once unmarked, the provider may be marked and linked again by a claim. Then unmark, then
            // take the day bits (that order: see the remarks' (b)).
            var next = provider.NextListed;
            provider.ClearSweepListed();
            var days = provider.TakeHoldDays();
            if (days != 0)
            {
                provider.AddCalendarsOfDays(days, calendars);
            }

            top = next;
        }

        return true;
    }

    /// <summary>Keeps a sweep's calendar list, emptied (no calendar stays reachable from it), for the next sweep.</summary>
    private void GiveBackListed(List<Calendar> calendars)
    {
        calendars.Clear();
        Volatile.Write(ref _sweepCalendars, calendars);
    }

    /// <summary>
    /// Puts a sweep's reclaimed claims in provider and day order, as the walk of every calendar found them (the list
    /// is in stack order); stable, so each calendar's claims keep the order they were reclaimed in. The waitlist is
    /// offered the freed calendars in this order.
    /// </summary>
    private static void InCalendarOrder(List<Reservation> reservations)
    {
        if (reservations.Count < 2)
        {
            return;
        }

        var sorted = reservations.OrderBy(r => r.Calendar.Provider.Value).ThenBy(r => r.Calendar.Day).ToArray();
        reservations.Clear();
        reservations.AddRange(sorted);
    }

    /// <summary>
    /// After a listed calendar was swept: lists it again while it has live holds, or parks it when none of them can expire
    /// before <see cref="SlotEngineOptions.MaxHoldDuration"/> from now; a withdrawn or replaced calendar leaves the list.
    /// </summary>
    private void Relist(Calendar calendar, long now)
    {
        if (calendar.HasHolds && ReferenceEquals(FindCalendar(calendar.Key), calendar) && !TryPark(calendar, now))
        {
            ListHolds(calendar);
        }
    }

    // Parked calendars by the instant (UTC ticks) before which none of their live holds expires. Only sweeps touch it,
    // under _parkedLock (a sweep is not a hot path; two sweeps at once serialise here only).
    private readonly SortedDictionary<long, List<Calendar>> _parked = [];
    private readonly Lock _parkedLock = new();

    /// <summary>
    /// Parks a swept calendar whose live holds all expire at or after <paramref name="now"/> +
    /// <see cref="SlotEngineOptions.MaxHoldDuration"/>: bookings awaiting approval (<see cref="SlotEngineOptions.Approval"/>),
    /// whose deadline is the evening before their day. A sweep then leaves it alone until the earliest of those expiries,
    /// instead of visiting it and listing it again on every pass (during a day of unapproved bookings, tens of thousands of
    /// calendars a sweep, each a few cold lines and three atomic writes).
    /// </summary>
    /// <remarks>
    /// <para><b>Invariant (the sweep list's, widened): a calendar with a live hold is listed (its day bit set and its
    /// provider on the stack), or a sweep that took its bit will read its count again, or it is parked under an instant at
    /// or below the expiry of every hold it had when parked, and every hold published on it since has listed it.</b>
    /// Parking reads <see cref="Calendar.EarliestLiveHoldExpiry"/> (every held head, after this sweep took the calendar's day
    /// bit and unmarked its provider). A hold counted there expires no earlier than the instant it is parked under (an
    /// expiry only moves later while its hold lives); a hold published after its head was read ends its claim with
    /// <see cref="ListHolds"/>, after that unmark, so it lists the calendar for a later sweep (the remarks' (b)). So no hold
    /// that is due before the parked instant is left unswept, and at the first sweep at or after it the calendar is visited
    /// as a listed one (<see cref="TakeParked"/>): reclaimed, then listed or parked again. A calendar both parked and
    /// listed is visited twice, which is harmless.</para>
    /// <para>The calendar's own bound (<see cref="Calendar.EarliestHoldExpiryBound"/>) is only the first test: a reclaim
    /// scan running on another thread resets it before lowering it again, so it can read too high; the scan here cannot.</para>
    /// </remarks>
    private bool TryPark(Calendar calendar, long now)
    {
        var horizon = now + Options.MaxHoldDuration.Ticks;
        if (calendar.EarliestHoldExpiryBound < horizon)
        {
            return false;
        }

        var until = calendar.EarliestLiveHoldExpiry();
        if (until < horizon || until == long.MaxValue)
        {
            return false; // a hold may expire soon (or none is left: nothing to park)
        }

        lock (_parkedLock)
        {
            if (!_parked.TryGetValue(until, out var calendars))
            {
                calendars = [];
                _parked.Add(until, calendars);
            }

            calendars.Add(calendar);
        }

        return true;
    }

    /// <summary>How many calendars are parked now, counted once per parking (tests).</summary>
    internal int ParkedCalendars
    {
        get
        {
            lock (_parkedLock)
            {
                return _parked.Values.Sum(calendars => calendars.Count);
            }
        }
    }

    /// <summary>Adds to a sweep's list the parked calendars whose instant has come (<paramref name="now"/> at or after it).</summary>
    private void TakeParked(long now, List<Calendar> calendars)
    {
        lock (_parkedLock)
        {
            if (_parked.Count == 0)
            {
                return;
            }

            var due = new List<long>();
            foreach (var (until, parked) in _parked)
            {
                if (until > now)
                {
                    break;
                }

                calendars.AddRange(parked);
                due.Add(until);
            }

            foreach (var until in due)
            {
                _parked.Remove(until);
            }
        }
    }
}
