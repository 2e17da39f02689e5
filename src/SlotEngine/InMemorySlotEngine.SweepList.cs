namespace SlotEngine;

/// <summary>
/// The sweep's list of calendars that may hold holds: a sweep visits those, not every open calendar of the country
/// (2.25 million in the load generator's default run, where a walk of them all took about a second).
/// </summary>
/// <remarks>
/// <para><b>Protocol.</b> The list is a lock-free stack linked through the calendars themselves (no allocation on the
/// claim path): <c>_listHead</c> is its top, each listed calendar's link the next. Every claim this engine makes with
/// an expiry (a hold, an offer, a booking awaiting approval, a move's target) ends, once it succeeded, with
/// <see cref="ListHolds"/>: the one thread whose CAS marks the calendar (<see cref="Calendar.TryMarkSweepListed"/>)
/// links it to the top it read and pushes it with a CAS on the top. A sweep takes the whole stack at once (an
/// exchange with null: nodes are never popped one by one, so there is no ABA), and for each calendar reads its link,
/// unmarks it (<see cref="Calendar.ClearSweepListed"/>, a full fence), reclaims its expired holds, and lists it again
/// when it still has live holds. Two sweeps at once take disjoint stacks.</para>
/// <para><b>Invariant: a calendar with a live hold is listed, or a sweep that will look at its count again holds it.</b>
/// The claim increments the live-hold count (an Interlocked operation, a full fence) before it reads the mark; the
/// sweep clears the mark (a full fence) before it reads the count. So either the claim sees the mark cleared and
/// lists the calendar itself, or the sweep sees the claim's hold and lists it again: never neither.</para>
/// <para>A read model (<see cref="Stores.ReadModel"/>) lays holds in from its store without claims, so it keeps the
/// walk of every open calendar.</para>
/// </remarks>
public sealed partial class InMemorySlotEngine
{
    private Calendar? _listHead;
    private bool _sweepsListed;

    /// <summary>Starts the sweep list (called by the constructor; not for a read model).</summary>
    private void InitSweepList(bool forReadModel) => _sweepsListed = !forReadModel;

    /// <summary>After a successful claim with an expiry: lists its calendar for the sweep, once (see the remarks).</summary>
    private void ListHolds(Calendar calendar)
    {
        // The mark's CAS: only the thread that marks the calendar pushes it (a listed calendar is never pushed twice).
        if (!_sweepsListed || !calendar.TryMarkSweepListed())
        {
            return;
        }

        while (true)
        {
            // The push CAS: succeeds only if the top is still the one the link names; else link to the new top and retry.
            var head = Volatile.Read(ref _listHead);
            calendar.LinkListed(head);
            if (Interlocked.CompareExchange(ref _listHead, calendar, head) == head)
            {
                return;
            }
        }
    }

    /// <summary>The listed calendars for one sweep, each unmarked; false for a read model (no list).</summary>
    private bool TakeListed(out List<Calendar> calendars)
    {
        calendars = [];
        if (!_sweepsListed)
        {
            return false;
        }

        // The whole stack at once: a calendar listed again afterwards is on the next sweep's stack.
        var calendar = Interlocked.Exchange(ref _listHead, null);
        while (calendar is not null)
        {
            // The link first: once unmarked, the calendar may be marked and linked again by a claim.
            var next = calendar.NextListed;
            calendar.ClearSweepListed();
            calendars.Add(calendar);
            calendar = next;
        }

        return true;
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

    /// <summary>After a listed calendar was swept: lists it again while it has live holds; a withdrawn or replaced calendar leaves the list.</summary>
    private void Relist(Calendar calendar)
    {
        if (calendar.HasHolds && ReferenceEquals(FindCalendar(calendar.Key), calendar))
        {
            ListHolds(calendar);
        }
    }
}
